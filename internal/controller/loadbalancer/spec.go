/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/utils/ptr"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

const errFmtUnknownState = "unknown load balancer state %q"

// externalID is the cloud ID of a LoadBalancer: namespace and name, joined by a dot, which a
// namespace name cannot contain, so no two LoadBalancers share an ID.
func externalID(cr *v1alpha1.LoadBalancer) string {
	return cr.GetNamespace() + "." + cr.GetName()
}

// spec is the cloud spec of the load balancer cr asks for. The first listener asks for the
// port recorded in status.atProvider.port, so a re-created load balancer keeps its endpoint.
func spec(cr *v1alpha1.LoadBalancer) cloud.LoadBalancerSpec {
	p := cr.Spec.ForProvider
	s := cloud.LoadBalancerSpec{}
	for i, l := range p.Listeners {
		cl := cloud.Listener{Port: l.Port, Protocol: protocol(l.Protocol)}
		if i == 0 {
			cl.FrontendPort = cr.Status.AtProvider.Port
		}
		s.Listeners = append(s.Listeners, cl)
	}
	for _, id := range p.Backends.InstanceIDs {
		// NOTE: an Instance reference with resolution policy Optional resolves to "" until the
		// Instance is created.
		if id != "" {
			s.Backends = append(s.Backends, cloud.Backend{InstanceID: id})
		}
	}
	for _, a := range p.Backends.Addresses {
		s.Backends = append(s.Backends, cloud.Backend{Address: a})
	}
	if hc := p.HealthCheck; hc != nil {
		s.HealthCheck = &cloud.HealthCheck{
			Protocol:           protocol(hc.Protocol),
			Port:               ptr.Deref(hc.Port, 0),
			Path:               ptr.Deref(hc.Path, ""),
			IntervalSeconds:    hc.IntervalSeconds,
			HealthyThreshold:   hc.HealthyThreshold,
			UnhealthyThreshold: hc.UnhealthyThreshold,
		}
		if s.HealthCheck.Port == 0 && len(p.Listeners) > 0 {
			s.HealthCheck.Port = p.Listeners[0].Port
		}
	}
	return s
}

// protocol is the cloud protocol of an API protocol; unset means TCP, the API's default.
func protocol(p string) cloud.Protocol {
	if p == "" {
		return cloud.ProtocolTCP
	}
	return cloud.Protocol(p)
}

// observation is status.atProvider for lb.
func observation(lb *cloud.LoadBalancer) v1alpha1.LoadBalancerObservation {
	o := v1alpha1.LoadBalancerObservation{
		Host:      lb.Host,
		Port:      lb.Port,
		State:     string(lb.State),
		Message:   lb.Message,
		VirtualIP: lb.VirtualIP,
	}
	if lb.Host != "" {
		o.Endpoint = net.JoinHostPort(lb.Host, strconv.Itoa(int(lb.Port)))
	}
	for _, b := range lb.Backends {
		o.Backends = append(o.Backends, v1alpha1.BackendObservation{InstanceID: b.InstanceID, Address: b.Address, Healthy: b.Healthy})
	}
	return o
}

// condition is the Ready condition for lb: available only once it is active.
func condition(lb *cloud.LoadBalancer) xpv2.Condition {
	switch lb.State {
	case cloud.LoadBalancerStateActive:
		return xpv2.Available()
	case cloud.LoadBalancerStateProvisioning:
		return xpv2.Creating()
	case cloud.LoadBalancerStateFailed:
		return xpv2.Unavailable().WithMessage(lb.Message)
	default:
		return xpv2.Unavailable().WithMessage(fmt.Sprintf(errFmtUnknownState, lb.State))
	}
}

// diff says how the backends and health check of got differ from want, or "" when they do not.
// Listeners are not compared: they cannot change.
func diff(want, got cloud.LoadBalancerSpec) string {
	var d []string
	if w, g := backends(want.Backends), backends(got.Backends); w != g {
		d = append(d, fmt.Sprintf("backends (want [%s], have [%s])", w, g))
	}
	if !reflect.DeepEqual(want.HealthCheck, got.HealthCheck) {
		d = append(d, fmt.Sprintf("healthCheck (want %s, have %s)", healthCheck(want.HealthCheck), healthCheck(got.HealthCheck)))
	}
	return strings.Join(d, ", ")
}

// backends formats bs for a diff.
func backends(bs []cloud.Backend) string {
	s := make([]string, 0, len(bs))
	for _, b := range bs {
		if b.InstanceID != "" {
			s = append(s, "instance "+b.InstanceID)
			continue
		}
		s = append(s, "address "+b.Address)
	}
	return strings.Join(s, ", ")
}

// healthCheck formats hc for a diff.
func healthCheck(hc *cloud.HealthCheck) string {
	if hc == nil {
		return "none"
	}
	return fmt.Sprintf("%+v", *hc)
}
