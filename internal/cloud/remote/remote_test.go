/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package remote

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/capstan-dev/capstan/internal/cloud"
)

// An instance without bootstrap data: it boots as a plain machine.
var spec = cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 20, Image: "img", FailureDomain: "fd-b"}

var opts = Options{BootDelay: time.Millisecond, MinPort: 25000, MaxPort: 25099}

func TestDriverAgainstServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := NewServer(logr.Discard())
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close(ctx) })

	d, err := New(ctx, hs.URL, "ClusterProviderConfig/default", opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	i, err := d.CreateInstance(ctx, "i-1", spec)
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if i.ID != "i-1" || i.FailureDomain != "fd-b" || i.Spec.CPU != 2 {
		t.Errorf("CreateInstance: got %+v, want i-1 in fd-b with 2 CPUs", i)
	}
	if again, err := d.CreateInstance(ctx, "i-1", spec); err != nil || again.ProviderID != i.ProviderID {
		t.Errorf("CreateInstance again: got %+v, %v; want the same instance", again, err)
	}
	if _, err := d.CreateInstance(ctx, "i-2", cloud.InstanceSpec{FailureDomain: "nowhere"}); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("CreateInstance in an unknown failure domain: got %v, want the cloud's refusal naming it", err)
	}

	lb, err := d.CreateLoadBalancer(ctx, "lb-1", cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS}}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	if lb.Port < opts.MinPort || lb.Port > opts.MaxPort {
		t.Errorf("CreateLoadBalancer: port %d outside the cloud's range %d-%d", lb.Port, opts.MinPort, opts.MaxPort)
	}
	up, err := d.UpdateLoadBalancer(ctx, "lb-1", cloud.LoadBalancerSpec{
		Listeners: lb.Spec.Listeners, Backends: []cloud.Backend{{InstanceID: "i-1"}},
	})
	if err != nil || len(up.Spec.Backends) != 1 {
		t.Errorf("UpdateLoadBalancer: got %+v, %v; want one backend", up, err)
	}
	if got := d.Inventory(); got != (cloud.Inventory{Instances: 1, LoadBalancers: 1}) {
		t.Errorf("Inventory: got %+v, want 1 instance and 1 load balancer", got)
	}

	// A restarted provider makes a new driver with the same options: the cloud is kept.
	d2, err := New(ctx, hs.URL, "ClusterProviderConfig/default", opts)
	if err != nil {
		t.Fatalf("New again: %v", err)
	}
	if got, err := d2.GetInstance(ctx, "i-1"); err != nil || got.ProviderID != i.ProviderID {
		t.Errorf("GetInstance from a new driver: got %+v, %v; want the instance made before", got, err)
	}

	if err := d.DeleteInstance(ctx, "i-1"); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	if _, err := d.GetInstance(ctx, "i-1"); !cloud.IsNotFound(err) {
		t.Errorf("GetInstance after delete: got %v, want not found", err)
	}
	if err := d.DeleteLoadBalancer(ctx, "lb-1"); err != nil {
		t.Fatalf("DeleteLoadBalancer: %v", err)
	}
	if _, err := d.GetLoadBalancer(ctx, "lb-1"); !cloud.IsNotFound(err) {
		t.Errorf("GetLoadBalancer after delete: got %v, want not found", err)
	}

	// Other options replace the cloud, as an embedded cloud is replaced when its config changes.
	if _, err := d.CreateInstance(ctx, "i-3", spec); err != nil {
		t.Fatal(err)
	}
	other := opts
	other.FailureDomains = []string{"zone-1"}
	d3, err := New(ctx, hs.URL, "ClusterProviderConfig/default", other)
	if err != nil {
		t.Fatalf("New with other options: %v", err)
	}
	if _, err := d3.GetInstance(ctx, "i-3"); !cloud.IsNotFound(err) {
		t.Errorf("GetInstance in the replaced cloud: got %v, want not found", err)
	}

	// A server that lost its clouds (it restarted) gets the cloud made again on the next call.
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d3.GetInstance(ctx, "i-3"); !cloud.IsNotFound(err) {
		t.Errorf("GetInstance after the server lost the cloud: got %v, want not found from a new, empty cloud", err)
	}
	if got := d3.Inventory(); got != (cloud.Inventory{}) {
		t.Errorf("Inventory of the new cloud: got %+v, want empty", got)
	}
}

func TestNewRefusesBadEndpoints(t *testing.T) {
	for _, endpoint := range []string{"", "127.0.0.1:8080", "https://127.0.0.1:8080", "http://"} {
		if _, err := New(context.Background(), endpoint, "c", opts); err == nil || !strings.Contains(err.Error(), "want http://host:port") {
			t.Errorf("New(%q): got %v, want an error saying what an endpoint looks like", endpoint, err)
		}
	}
}
