/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere/vcsim"
)

func apiServer(backends ...string) cloud.LoadBalancerSpec {
	s := cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP}}}
	for _, b := range backends {
		s.Backends = append(s.Backends, cloud.Backend{InstanceID: b})
	}
	return s
}

func reserved(t *testing.T, c *govmomi.Client) []string {
	t.Helper()
	a, err := vcsim.ReservedAddresses(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestVirtualIPs: each load balancer reserves its own address of the pool, in vCenter, where
// a second provider config on the same vCenter sees it taken; deleting gives it back.
func TestVirtualIPs(t *testing.T) {
	s, c := startSim(t, false)
	d := newDriver(t, s) // pool 10.0.0.10-10.0.0.11
	ctx := t.Context()

	a, err := d.CreateLoadBalancer(ctx, "default.a", apiServer())
	if err != nil {
		t.Fatal(err)
	}
	if a.Host != "10.0.0.10" || a.Port != 6443 || !a.VirtualIP || a.State != cloud.LoadBalancerStateActive {
		t.Errorf("first load balancer: %s:%d virtualIP %t %s; want 10.0.0.10:6443, a virtual IP, Active", a.Host, a.Port, a.VirtualIP, a.State)
	}
	again, err := d.CreateLoadBalancer(ctx, "default.a", apiServer())
	if err != nil || again.Host != a.Host {
		t.Errorf("creating it again: %v, %s; want the same address %s", err, again.Host, a.Host)
	}

	other := newDriver(t, s, func(v *v1alpha1.VSphereDriver) {
		v.ControlPlaneEndpoints.Addresses = []string{"10.0.0.10", "10.0.0.11"}
	})
	b, err := other.CreateLoadBalancer(ctx, "team-b.b", apiServer())
	if err != nil || b.Host != "10.0.0.11" {
		t.Errorf("another provider config's load balancer: %v, %s; want 10.0.0.11, the one 10.0.0.10's owner left", err, b.Host)
	}
	if _, err := d.CreateLoadBalancer(ctx, "default.c", apiServer()); err == nil || !strings.Contains(err.Error(), "no free address in spec.driver.vsphere.controlPlaneEndpoints.addresses") {
		t.Errorf("a third load balancer on a pool of two: %v, want an error saying the pool is used up", err)
	}

	// A backend is healthy once its machine runs.
	if _, err := d.CreateInstance(ctx, "default.cp", machine(20)); err != nil {
		t.Fatal(err)
	}
	updated, err := d.UpdateLoadBalancer(ctx, "default.a", apiServer("default.cp"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]cloud.BackendStatus{{Backend: cloud.Backend{InstanceID: "default.cp"}, Healthy: false}}, updated.Backends); diff != "" {
		t.Errorf("backends of a machine still booting: -want, +got:\n%s", diff)
	}
	reportIP(t, c, "default.cp", "192.168.1.30")
	got, err := d.GetLoadBalancer(ctx, "default.a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]cloud.BackendStatus{{Backend: cloud.Backend{InstanceID: "default.cp"}, Healthy: true}}, got.Backends); diff != "" {
		t.Errorf("backends of a running machine: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(apiServer("default.cp").Backends, got.Spec.Backends); diff != "" {
		t.Errorf("the observed spec keeps the backends: -want, +got:\n%s", diff)
	}
	changed := apiServer()
	changed.Listeners[0].Port = 443
	if _, err := d.UpdateLoadBalancer(ctx, "default.a", changed); err == nil {
		t.Error("changing the listener port: want an error, got none")
	}

	if diff := cmp.Diff([]string{"10.0.0.10", "10.0.0.11"}, reserved(t, c)); diff != "" {
		t.Errorf("reserved addresses: -want, +got:\n%s", diff)
	}
	if err := d.DeleteLoadBalancer(ctx, "default.a"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteLoadBalancer(ctx, "default.a"); err != nil {
		t.Errorf("deleting it again: %v, want no error", err)
	}
	if _, err := d.GetLoadBalancer(ctx, "default.a"); !cloud.IsNotFound(err) {
		t.Errorf("after delete: want not found, got %v", err)
	}
	if diff := cmp.Diff([]string{"10.0.0.11"}, reserved(t, c)); diff != "" {
		t.Errorf("reserved addresses after delete: -want, +got:\n%s", diff)
	}
	c2, err := d.CreateLoadBalancer(ctx, "default.c", apiServer())
	if err != nil || c2.Host != "10.0.0.10" {
		t.Errorf("a load balancer after one was deleted: %v, %s; want the freed 10.0.0.10", err, c2.Host)
	}
}
