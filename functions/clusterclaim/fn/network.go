/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The limits a kubeadm cluster puts on its address ranges.
const (
	// nodeMaskV4 and nodeMaskV6 are the pod range each Node gets: kube-controller-manager's
	// --node-cidr-mask-size defaults, which kubeadm keeps.
	nodeMaskV4 = 24
	nodeMaskV6 = 64
	// maxNodeRangeBits is how many more bits than the cluster's pod range a Node's range may have:
	// kube-controller-manager refuses to split a pod range into more than 2^16 node ranges.
	maxNodeRangeBits = 16
	// maxServiceBits is the largest service range kube-apiserver accepts: 2^20 addresses.
	maxServiceBits = 20
	// minServiceAddresses is the smallest service range kubeadm can use: it gives cluster DNS the
	// tenth address.
	minServiceAddresses = 16
)

// reservedRanges cannot hold Pods or Services: a node routes them elsewhere.
var reservedRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/3"),
	netip.MustParsePrefix("::/127"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// A cidr is one of the cluster's address ranges and the claim field it comes from.
type cidr struct {
	path *field.Path
	// value is the range as written; it may come from the input's or the function's defaults.
	value string
	// fromClaim is true when the claim wrote it, false when a default did.
	fromClaim bool
}

// validateNetwork checks that the pod and service ranges can work together in a cluster of at
// most maxNodes Nodes: valid, without host bits, of one IP family, apart, clear of reserved
// ranges, and sized as kube-controller-manager and kube-apiserver need.
func validateNetwork(pods, services cidr, maxNodes int) []error {
	pp, perr := parseRange(pods)
	sp, serr := parseRange(services)
	errs := append(perr, serr...)
	if len(errs) > 0 {
		return errs
	}

	// A problem between the two ranges names the one the claim wrote, services when it wrote both.
	between := services
	if !services.fromClaim && pods.fromClaim {
		between = pods
	}
	if pp.Addr().Is4() != sp.Addr().Is4() {
		return []error{fieldErr(between.path, "pods %s and services %s must be of one IP family", pp, sp)}
	}
	if pp.Overlaps(sp) {
		errs = append(errs, fieldErr(between.path, "pods %s and services %s overlap", pp, sp))
	}

	nodeMask := nodeMaskV4
	if pp.Addr().Is6() {
		nodeMask = nodeMaskV6
	}
	switch bits := nodeMask - pp.Bits(); {
	case bits < 0:
		errs = append(errs, fieldErr(pods.path, "%s is smaller than the /%d each Node takes", pp, nodeMask))
	case bits > maxNodeRangeBits:
		errs = append(errs, fieldErr(pods.path, "%s is too large: Nodes take a /%d each, so it must be a /%d or smaller", pp, nodeMask, nodeMask-maxNodeRangeBits))
	case 1<<bits < maxNodes:
		errs = append(errs, fieldErr(pods.path, "%s has room for %d Nodes (a /%d each) but the cluster can have %d during a rollout", pp, 1<<bits, nodeMask, maxNodes))
	}

	switch bits := sp.Addr().BitLen() - sp.Bits(); {
	case bits > maxServiceBits:
		errs = append(errs, fieldErr(services.path, "%s is too large: kube-apiserver takes at most a /%d", sp, sp.Addr().BitLen()-maxServiceBits))
	case 1<<bits < minServiceAddresses:
		errs = append(errs, fieldErr(services.path, "%s is too small: the cluster needs at least %d addresses (a /%d)", sp, minServiceAddresses, sp.Addr().BitLen()-4))
	}
	return errs
}

// parseRange parses a range and refuses host bits and reserved ranges.
func parseRange(c cidr) (netip.Prefix, []error) {
	p, err := netip.ParsePrefix(c.value)
	if err != nil {
		return p, []error{fieldErr(c.path, "%q is not a CIDR", c.value)}
	}
	if m := p.Masked(); m != p {
		return p, []error{fieldErr(c.path, "%s has host bits set: did you mean %s?", p, m)}
	}
	for _, r := range reservedRanges {
		if r.Overlaps(p) {
			return p, []error{fieldErr(c.path, "%s overlaps the reserved range %s", p, r)}
		}
	}
	return p, nil
}
