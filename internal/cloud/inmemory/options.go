/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"net"
	"time"

	"github.com/go-logr/logr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Defaults for Options fields left at their zero value.
const (
	// DefaultBootDelay is how long an instance stays Provisioning before it boots: long enough for a
	// controller to observe the state, short enough for a cluster to come up in seconds.
	DefaultBootDelay = 2 * time.Second
	// DefaultBindAddress keeps every listener on loopback: the workload API servers do not
	// authenticate clients, so they must not be reachable from other machines.
	DefaultBindAddress = "127.0.0.1"
	// DefaultMinPort and DefaultMaxPort bound the ports load balancers get when they do not ask for
	// one. The range sits below Linux's ephemeral range (32768+) so outgoing connections never hold
	// a port a load balancer needs.
	DefaultMinPort int32 = 20000
	DefaultMaxPort int32 = 24999
	// DefaultJoinTimeout is how long a joining instance waits for its control plane, as kubeadm
	// join waits for the API server to answer discovery.
	DefaultJoinTimeout = 5 * time.Minute
)

// DefaultFailureDomains are the failure domains of a cloud made with no FailureDomains.
var DefaultFailureDomains = []string{"fd-a", "fd-b", "fd-c"}

// Options configure an in-memory cloud. The zero value is usable.
type Options struct {
	// BootDelay is the time from CreateInstance to the boot (Provisioning to Running or Failed).
	// Zero means DefaultBootDelay; use a small positive value (1ms) for near-instant boots.
	BootDelay time.Duration

	// JoinTimeout bounds how long a joining instance waits for the cluster it joins to have a
	// control plane before it fails. Zero means DefaultJoinTimeout.
	JoinTimeout time.Duration

	// BindAddress is the IP address every load balancer listens on and reports as its host.
	// Empty means DefaultBindAddress. It must be a specific address, not 0.0.0.0 or ::.
	BindAddress string

	// MinPort and MaxPort bound the ports given to load balancers that do not ask for one
	// (Listener.FrontendPort 0). Zero means DefaultMinPort / DefaultMaxPort.
	MinPort, MaxPort int32

	// FailureDomains instances are spread over (round-robin) when their spec names none.
	// Empty means DefaultFailureDomains.
	FailureDomains []string

	// BootFailurePercent of instances fail to boot, drawn when each is created: an injected
	// fault, for tests and benchmarks.
	BootFailurePercent int32

	// WorkerDeathPercent of worker machines die WorkerLifetime after they boot: they end
	// Failed and their Node leaves the cluster, as a machine whose host failed. Injected faults.
	WorkerDeathPercent int32
	WorkerLifetime     time.Duration

	// AnnounceEndpoints makes the cloud a guest of another cloud's machines, for a simulator of
	// vSphere: a control-plane endpoint no load balancer serves is served by the control-plane
	// machines whose kube-vip static pod announces it, bound on this host while one of them runs.
	AnnounceEndpoints bool

	// ProviderID is the providerID of an instance's Node. Nil means ProviderIDPrefix + the ID.
	ProviderID func(id string) string

	// Log receives what the cloud does. The zero value discards it.
	Log logr.Logger
}

// withDefaults returns o with every zero field set to its default, or an error naming the first
// field that is out of range.
func (o Options) withDefaults() (Options, error) {
	if o.BootDelay == 0 {
		o.BootDelay = DefaultBootDelay
	}
	if o.JoinTimeout == 0 {
		o.JoinTimeout = DefaultJoinTimeout
	}
	if o.BindAddress == "" {
		o.BindAddress = DefaultBindAddress
	}
	if o.MinPort == 0 {
		o.MinPort = DefaultMinPort
	}
	if o.MaxPort == 0 {
		o.MaxPort = DefaultMaxPort
	}
	if len(o.FailureDomains) == 0 {
		o.FailureDomains = DefaultFailureDomains
	}
	if o.ProviderID == nil {
		o.ProviderID = func(id string) string { return ProviderIDPrefix + id }
	}
	if o.Log.GetSink() == nil {
		o.Log = logr.Discard()
	}

	switch {
	case o.BootDelay < 0:
		return o, errors.Errorf("Options.BootDelay must not be negative, got %s", o.BootDelay)
	case o.JoinTimeout < 0:
		return o, errors.Errorf("Options.JoinTimeout must not be negative, got %s", o.JoinTimeout)
	case !isSpecificIP(o.BindAddress):
		return o, errors.Errorf("Options.BindAddress must be a specific IP address (not a name, not 0.0.0.0 or ::), got %q", o.BindAddress)
	case o.MinPort < 1 || o.MinPort > 65535:
		return o, errors.Errorf("Options.MinPort must be between 1 and 65535, got %d", o.MinPort)
	case o.MaxPort < 1 || o.MaxPort > 65535:
		return o, errors.Errorf("Options.MaxPort must be between 1 and 65535, got %d", o.MaxPort)
	case o.MinPort > o.MaxPort:
		return o, errors.Errorf("Options.MinPort (%d) must not be greater than Options.MaxPort (%d)", o.MinPort, o.MaxPort)
	}
	seen := map[string]bool{}
	for i, fd := range o.FailureDomains {
		if fd == "" || seen[fd] {
			return o, errors.Errorf("Options.FailureDomains[%d] must be a non-empty, unique name, got %q", i, fd)
		}
		seen[fd] = true
	}
	return o, nil
}

// isSpecificIP reports whether s is an IP address a client can dial.
func isSpecificIP(s string) bool {
	ip := net.ParseIP(s)
	return ip != nil && !ip.IsUnspecified()
}
