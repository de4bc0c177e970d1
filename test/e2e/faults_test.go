//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/stack"
)

// TestClaimReadyDespiteCloudFaults files a claim on a cloud that refuses half the creations and
// deletions and answers every call 50ms late: the claim still becomes Ready, the refusals show as
// events on the managed resources, and deleting the claim still leaves nothing in the cloud.
func TestClaimReadyDespiteCloudFaults(t *testing.T) {
	// NOTE: runs beside the other parallel tests, after every serial one, on a cloud of its own.
	// Its time is the back-off of its refused calls (1 s doubling to 60 s per object, as
	// crossplane-runtime's managed reconciler retries), 48 s to 2 min 9 s alone: beside the others
	// it waits while they work.
	t.Parallel()
	ctx := context.Background()
	faulty := ownCloud(ctx, t, "faulty", 25000, v1alpha1.InMemoryFaults{
		CreateErrorPercent: 50, DeleteErrorPercent: 50, Latency: &metav1.Duration{Duration: 50 * time.Millisecond},
	})

	const name = "faulty"
	claim := claimObject(name, map[string]any{
		"version":           "v1.35.4",
		"workers":           []any{map[string]any{"name": "pool", "replicas": int64(2)}},
		"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": faulty.Name},
	})
	filed := time.Now()
	if err := env.kube.Create(ctx, claim); err != nil {
		t.Fatalf("create ClusterClaim %s: %v", name, err)
	}
	waitClaim(ctx, t, name, readyTimeout, "Ready on a faulty cloud", func(c *unstructured.Unstructured) bool { return ready(c) })
	t.Logf("FIGURE: claim on a cloud refusing 50%% of creations and deletions, 50ms per call, Ready %s after it was filed", time.Since(filed).Round(time.Second))

	deleted := time.Now()
	if err := env.kube.Delete(ctx, claim); err != nil {
		t.Fatal(err)
	}
	// NOTE: every other deletion is refused and retried with back-off: under load that took 2m17s.
	poll(ctx, t, "the claim and its cloud objects to be gone", 2*deleteTimeout, func(ctx context.Context) (bool, error) {
		err := env.kube.Get(ctx, client.ObjectKeyFromObject(claim), claim.DeepCopy())
		return apierrors.IsNotFound(err) && inventoryOf(ctx, t, faulty.Name) == inventory{}, client.IgnoreNotFound(err)
	})
	t.Logf("FIGURE: on that cloud, claim and its machines deleted in %s", time.Since(deleted).Round(time.Second))

	// The cloud did refuse calls (one in two of at least 8 creations and deletions: that none
	// was refused has a chance of 1 in 256).
	events := &corev1.EventList{}
	if err := env.kube.List(ctx, events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range events.Items {
		if strings.Contains(e.Message, "injected fault") {
			refused++
		}
	}
	if refused == 0 {
		t.Error("no event says the cloud refused a call: the faults were not injected")
	}
	t.Logf("%d events report a refused call", refused)
}

// ownCloud creates a ClusterProviderConfig name on the stack's in-memory cloud, with load balancer
// ports from min to min+999 (apart from every other config's) and faults f, and deletes it when the
// test ends. A test whose claims use it counts what only they hold (inventoryOf), so it can run
// beside the others.
func ownCloud(ctx context.Context, t *testing.T, name string, min int32, f v1alpha1.InMemoryFaults) *v1alpha1.ClusterProviderConfig {
	t.Helper()
	def := &v1alpha1.ClusterProviderConfig{}
	if err := env.kube.Get(ctx, client.ObjectKey{Name: stack.DefaultProviderConfigName}, def); err != nil {
		t.Fatal(err)
	}
	pc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProviderConfigSpec{
			Driver: v1alpha1.DriverConfig{InMemory: &v1alpha1.InMemoryDriver{
				Endpoint:  def.Spec.Driver.InMemory.Endpoint,
				PortRange: &v1alpha1.PortRange{Min: min, Max: min + 999},
				Faults:    &f,
			}},
			Credentials: v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceNone},
		},
	}
	if err := env.kube.Create(ctx, pc); err != nil {
		t.Fatalf("create ClusterProviderConfig %s: %v", name, err)
	}
	t.Cleanup(func() { _ = env.kube.Delete(context.Background(), pc) })
	return pc
}
