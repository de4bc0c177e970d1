/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"net/netip"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const poolField = "spec.driver.vsphere.controlPlaneEndpoints.addresses"

// addressRange is an inclusive range of addresses.
type addressRange struct {
	first, last netip.Addr
}

// addressPool is the addresses control-plane endpoints are taken from, in the order given.
type addressPool []addressRange

// parseAddressPool reads addresses, ranges (a-b) and CIDRs. A CIDR of IPv4 leaves out its
// network and broadcast addresses, which no machine can announce.
func parseAddressPool(entries []string) (addressPool, error) {
	if len(entries) == 0 {
		return nil, errors.Errorf("%s must hold at least one address", poolField)
	}
	out := make(addressPool, 0, len(entries))
	for i, e := range entries {
		r, err := parseAddressRange(strings.TrimSpace(e))
		if err != nil {
			return nil, errors.Wrapf(err, "%s[%d] %q", poolField, i, e)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseAddressRange(s string) (addressRange, error) {
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(first))
		if err != nil {
			return addressRange{}, err
		}
		b, err := netip.ParseAddr(strings.TrimSpace(last))
		if err != nil {
			return addressRange{}, err
		}
		if a.Is4() != b.Is4() || b.Less(a) {
			return addressRange{}, errors.New("a range runs from a lower to a higher address of one family")
		}
		return addressRange{first: a, last: b}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return addressRange{}, err
		}
		p = p.Masked()
		first, last := p.Addr(), lastAddr(p)
		if p.Addr().Is4() && p.Bits() < 31 {
			first, last = first.Next(), last.Prev()
		}
		return addressRange{first: first, last: last}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return addressRange{}, err
	}
	return addressRange{first: a, last: a}, nil
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		hostBits := max(0, min(8, (i+1)*8-p.Bits()))
		b[i] |= byte(1<<hostBits - 1)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// each calls f with every address of the pool, in order, until f returns false.
func (p addressPool) each(f func(netip.Addr) bool) {
	for _, r := range p {
		for a := r.first; a.IsValid() && !r.last.Less(a); a = a.Next() {
			if !f(a) {
				return
			}
		}
	}
}
