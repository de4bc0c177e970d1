//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/internal/stack"
)

// TestProviderKilledWhileProvisioning kills the provider (SIGKILL, nothing flushed) once a
// claim's first machine runs in the cloud; the stack starts it again, as a Deployment restarts a
// dead pod. The in-memory cloud runs as its own process, so the machines made before the kill are
// the ones the claim ends with (same launch time), and the claim becomes Ready with exactly one
// cloud machine per Instance: none lost, none made twice.
func TestProviderKilledWhileProvisioning(t *testing.T) {
	ctx := context.Background()
	const name = "restarted"
	claim := claimObject(name, map[string]any{
		"version": "v1.35.4",
		"workers": []any{map[string]any{"name": "pool", "replicas": int64(2)}},
	})
	filed := time.Now()
	if err := env.kube.Create(ctx, claim); err != nil {
		t.Fatalf("create ClusterClaim %s: %v", name, err)
	}
	t.Cleanup(func() { _ = env.kube.Delete(context.Background(), claim) })

	launched := map[string]time.Time{}
	poll(ctx, t, "the claim's first machine in the cloud", 2*time.Minute, func(ctx context.Context) (bool, error) {
		for _, i := range instances(ctx, t) {
			if lt := i.Status.AtProvider.LaunchTime; lt != nil {
				launched[i.Name] = lt.Time
			}
		}
		return len(launched) > 0, nil
	})
	before := component(t, "provider")
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the provider (pid %d): %v", before.PID, err)
	}
	killed := time.Now()
	poll(ctx, t, "the stack to start the provider again", time.Minute, func(context.Context) (bool, error) {
		return component(t, "provider").Restarts == before.Restarts+1, nil
	})
	t.Logf("provider killed %s after the claim was filed, and ready again %s later",
		killed.Sub(filed).Round(100*time.Millisecond), time.Since(killed).Round(100*time.Millisecond))

	waitClaim(ctx, t, name, readyTimeout, "Ready after the provider was killed", func(c *unstructured.Unstructured) bool { return ready(c) })
	t.Logf("FIGURE: claim with the provider killed mid-provision Ready %s after it was filed", time.Since(filed).Round(time.Second))

	// Every Instance is one machine of the cloud, under the ID it was created with.
	is := instances(ctx, t)
	if len(is) != 3 {
		t.Errorf("Instances: got %d, want 3 (1 control plane + 2 workers)", len(is))
	}
	for _, i := range is {
		if meta.GetExternalName(&i) == "" {
			t.Errorf("Instance %s/%s has no external name", i.Namespace, i.Name)
		}
		before, ok := launched[i.Name]
		if lt := i.Status.AtProvider.LaunchTime; ok && (lt == nil || !lt.Time.Equal(before)) {
			t.Errorf("Instance %s: launched %v, before the provider was killed %s: the cloud made it again", i.Name, lt, before)
		}
	}
	all := &computev1alpha1.InstanceList{}
	if err := env.kube.List(ctx, all); err != nil {
		t.Fatal(err)
	}
	if got := cloudInventory(ctx, t); got.instances != float64(len(all.Items)) {
		t.Errorf("the cloud holds %v machines for %d Instances: want exactly one each", got.instances, len(all.Items))
	}
}

// component returns the stack's component called name.
func component(t *testing.T, name string) stack.Component {
	t.Helper()
	for _, c := range env.stack.Components() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("the stack runs no %s", name)
	return stack.Component{}
}

// instances lists the Instances of the claim named restarted, whose Cluster has its name.
func instances(ctx context.Context, t *testing.T) []computev1alpha1.Instance {
	t.Helper()
	l := &computev1alpha1.InstanceList{}
	if err := env.kube.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{clusterv1.ClusterNameLabel: "restarted"}); err != nil {
		t.Fatalf("list Instances: %v", err)
	}
	return l.Items
}
