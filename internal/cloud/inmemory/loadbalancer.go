/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errListeners     = "spec.listeners must hold exactly one listener: the in-memory cloud serves one port per load balancer"
	errListenerPort  = "spec.listeners[0].port must be between 1 and 65535"
	errFrontendPort  = "spec.listeners[0].frontendPort must be between 0 and 65535"
	errProtocol      = "spec.listeners[0].protocol must be TCP or TLS"
	errListen        = "cannot listen"
	errNoFreePort    = "no free port"
	errListenersSame = "listeners cannot change: their endpoint is already in every kubeconfig"
)

// loadBalancer is a load balancer and the workload cluster served behind its port.
type loadBalancer struct {
	id            string
	spec          cloud.LoadBalancerSpec
	resourceGroup string
	ep            *endpoint
	deleted       bool // guarded by Cloud.mu
	// announced: the cluster's control-plane machines serve the endpoint themselves, as
	// kube-vip does (Options.AnnounceEndpoints); it goes when the last of them leaves.
	announced bool
}

// CreateLoadBalancer starts a TLS listener on the bind address: on Listener.FrontendPort when it
// is set (so an endpoint survives a restart), else on a free port of the range. Creating an ID
// that exists returns the existing load balancer.
func (c *Cloud) CreateLoadBalancer(_ context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	if id == "" {
		return nil, errors.New(errEmptyID)
	}
	if err := validateListeners(spec.Listeners); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New(errClosed)
	}
	if lb, ok := c.lbs[id]; ok {
		return c.observeLoadBalancer(lb), nil
	}

	ln, port, err := c.listenLocked(spec.Listeners[0].FrontendPort)
	if err != nil {
		return nil, err
	}
	c.nextGroup++
	// NOTE: a fresh resource group per life, so an instance of a deleted load balancer never
	// touches the cluster of a new one with the same ID.
	group := fmt.Sprintf("lb/%s/%d", id, c.nextGroup)
	c.manager.AddResourceGroup(group)
	lb := &loadBalancer{
		id:            id,
		spec:          copyLoadBalancerSpec(spec),
		resourceGroup: group,
		ep:            newEndpoint(ln, c.opts.BindAddress, port, group, c.manager, c.servingKey, c.log.WithValues("loadBalancer", id)),
	}
	c.lbs[id] = lb
	c.log.Info("load balancer listening", "id", id, "address", lb.ep.address())
	return c.observeLoadBalancer(lb), nil
}

// GetLoadBalancer returns the load balancer with this ID, or cloud.ErrNotFound.
func (c *Cloud) GetLoadBalancer(_ context.Context, id string) (*cloud.LoadBalancer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lb, ok := c.lbs[id]
	if !ok {
		return nil, errors.Wrapf(cloud.ErrNotFound, "load balancer %q", id)
	}
	return c.observeLoadBalancer(lb), nil
}

// UpdateLoadBalancer replaces the backends and health check. The listener cannot change.
func (c *Cloud) UpdateLoadBalancer(_ context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	if err := validateListeners(spec.Listeners); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	lb, ok := c.lbs[id]
	if !ok {
		return nil, errors.Wrapf(cloud.ErrNotFound, "load balancer %q", id)
	}
	want, have := spec.Listeners[0], lb.spec.Listeners[0]
	if want.Port != have.Port || want.Protocol != have.Protocol || (want.FrontendPort != 0 && want.FrontendPort != lb.ep.port) {
		return nil, errors.New(errListenersSame)
	}
	next := copyLoadBalancerSpec(spec)
	next.Listeners = lb.spec.Listeners
	lb.spec = next
	return c.observeLoadBalancer(lb), nil
}

// DeleteLoadBalancer stops the listener, frees its port and forgets its workload cluster.
// Instances booted behind it keep running, as machines outlive a deleted load balancer.
func (c *Cloud) DeleteLoadBalancer(_ context.Context, id string) error {
	c.mu.Lock()
	lb, ok := c.lbs[id]
	if ok {
		lb.deleted = true
		delete(c.lbs, id)
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	lb.ep.close()
	c.manager.DeleteResourceGroup(lb.resourceGroup)
	c.log.Info("load balancer deleted", "id", id, "address", lb.ep.address())
	return nil
}

// listenLocked listens on port, or on the next free port of the range when port is 0.
// c.mu must be held.
func (c *Cloud) listenLocked(port int32) (net.Listener, int32, error) {
	if port < 0 || port > 65535 {
		return nil, 0, errors.New(errFrontendPort)
	}
	if port != 0 {
		ln, err := c.listenOn(port)
		return ln, port, errors.Wrapf(err, "%s on requested frontend port %d", errListen, port)
	}
	size := c.opts.MaxPort - c.opts.MinPort + 1
	for range size {
		p := c.nextPort
		c.nextPort++
		if c.nextPort > c.opts.MaxPort {
			c.nextPort = c.opts.MinPort
		}
		if c.portInUseLocked(p) {
			continue
		}
		// NOTE: another process may hold a port of the range; trying it is the only real test.
		if ln, err := c.listenOn(p); err == nil {
			return ln, p, nil
		}
	}
	return nil, 0, errors.Errorf("%s in %d-%d on %s", errNoFreePort, c.opts.MinPort, c.opts.MaxPort, c.opts.BindAddress)
}

func (c *Cloud) listenOn(port int32) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", net.JoinHostPort(c.opts.BindAddress, itoa(port)))
}

func (c *Cloud) portInUseLocked(port int32) bool {
	for _, lb := range c.lbs {
		if lb.ep.port == port {
			return true
		}
	}
	return false
}

// loadBalancerForLocked returns the load balancer serving endpoint (host:port), or nil.
// c.mu must be held.
func (c *Cloud) loadBalancerForLocked(endpoint string) *loadBalancer {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return nil
	}
	for _, lb := range c.lbs {
		if itoa(lb.ep.port) == port && sameHost(host, lb.ep.host) {
			return lb
		}
	}
	return nil
}

// sameHost reports whether two hosts name the same address.
func sameHost(a, b string) bool {
	if a == b {
		return true
	}
	ipa, ipb := net.ParseIP(a), net.ParseIP(b)
	return ipa != nil && ipa.Equal(ipb)
}

// observeLoadBalancer reports lb as the cloud sees it. c.mu must be held.
func (c *Cloud) observeLoadBalancer(lb *loadBalancer) *cloud.LoadBalancer {
	out := &cloud.LoadBalancer{
		ID:       lb.id,
		Host:     lb.ep.host,
		Port:     lb.ep.port,
		State:    cloud.LoadBalancerStateActive,
		Spec:     copyLoadBalancerSpec(lb.spec),
		Backends: make([]cloud.BackendStatus, 0, len(lb.spec.Backends)),
	}
	out.Spec.Listeners[0].FrontendPort = lb.ep.port
	for _, b := range lb.spec.Backends {
		out.Backends = append(out.Backends, cloud.BackendStatus{Backend: b, Healthy: c.backendHealthyLocked(lb, b)})
	}
	return out
}

// backendHealthyLocked: with no health check every backend is in service; with one, an instance
// is in service once it runs, and a raw address always is (nothing here can probe it).
func (c *Cloud) backendHealthyLocked(lb *loadBalancer, b cloud.Backend) bool {
	if lb.spec.HealthCheck == nil || b.InstanceID == "" {
		return true
	}
	i, ok := c.instances[b.InstanceID]
	return ok && i.obs.State == cloud.InstanceStateRunning
}

func validateListeners(ls []cloud.Listener) error {
	if len(ls) != 1 {
		return errors.Errorf("%s, got %d", errListeners, len(ls))
	}
	l := ls[0]
	switch {
	case l.Port < 1 || l.Port > 65535:
		return errors.Errorf("%s, got %d", errListenerPort, l.Port)
	case l.FrontendPort < 0 || l.FrontendPort > 65535:
		return errors.Errorf("%s, got %d", errFrontendPort, l.FrontendPort)
	case l.Protocol != cloud.ProtocolTCP && l.Protocol != cloud.ProtocolTLS:
		return errors.Errorf("%s, got %q", errProtocol, l.Protocol)
	}
	return nil
}

func copyLoadBalancerSpec(s cloud.LoadBalancerSpec) cloud.LoadBalancerSpec {
	out := cloud.LoadBalancerSpec{Listeners: slices.Clone(s.Listeners), Backends: slices.Clone(s.Backends)}
	if s.HealthCheck != nil {
		hc := *s.HealthCheck
		out.HealthCheck = &hc
	}
	return out
}
