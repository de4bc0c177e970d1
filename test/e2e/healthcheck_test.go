//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// TestDeadWorkerReplacedByHealthCheck runs a claim, health checks on (the Composition's
// default), on a cloud whose workers die 20s after they boot: the MachineHealthCheck sees the
// worker's Node gone and Cluster API replaces the machine with one whose Node joins.
func TestDeadWorkerReplacedByHealthCheck(t *testing.T) {
	// NOTE: runs beside the other parallel tests, after every serial one: it counts only what
	// its own cloud holds.
	t.Parallel()
	ctx := context.Background()
	mortal := ownCloud(ctx, t, "mortal", 26000, v1alpha1.InMemoryFaults{
		WorkerDeathPercent: 100, WorkerLifetime: &metav1.Duration{Duration: 20 * time.Second},
	})
	const name = "mortal"
	claim := claimObject(name, map[string]any{
		"version":           "v1.35.4",
		"workers":           []any{map[string]any{"name": "pool", "replicas": int64(1)}},
		"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": mortal.Name},
	})
	if err := env.kube.Create(ctx, claim); err != nil {
		t.Fatalf("create ClusterClaim %s: %v", name, err)
	}
	// Leave its cloud empty before the provider config goes (cleanups run last first).
	t.Cleanup(func() {
		_ = env.kube.Delete(context.Background(), claim)
		poll(context.Background(), t, "the claim and its cloud objects to be gone", deleteTimeout, func(ctx context.Context) (bool, error) {
			err := env.kube.Get(ctx, client.ObjectKeyFromObject(claim), claim.DeepCopy())
			return err != nil && inventoryOf(ctx, t, mortal.Name) == inventory{}, client.IgnoreNotFound(err)
		})
	})
	waitClaim(ctx, t, name, readyTimeout, "Ready", func(c *unstructured.Unstructured) bool { return ready(c) })

	first := workers(ctx, t, name)
	if len(first) != 1 {
		t.Fatalf("worker Machines: got %v, want one", first)
	}
	start := time.Now()
	poll(ctx, t, "a new worker Machine with a Node in place of the dead one", 3*time.Minute, func(ctx context.Context) (bool, error) {
		for _, m := range machines(ctx, t, name) {
			if m.Labels[clusterv1.MachineDeploymentNameLabel] != "" && m.Name != first[0] && m.Status.NodeRef.IsDefined() {
				return true, nil
			}
		}
		return false, nil
	})
	t.Logf("FIGURE: a worker that died (20s after boot) replaced by one whose Node joined, %s after the claim was Ready", time.Since(start).Round(time.Second))
}

// workers lists the names of the claim's worker Machines.
func workers(ctx context.Context, t *testing.T, name string) []string {
	t.Helper()
	var out []string
	for _, m := range machines(ctx, t, name) {
		if m.Labels[clusterv1.MachineDeploymentNameLabel] != "" {
			out = append(out, m.Name)
		}
	}
	return out
}
