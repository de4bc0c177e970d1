//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-dev/capstan/internal/stack"
)

// TestExamplesBecomeReady files every example claim that TestClusterClaimLifecycle does not follow
// (basic.yaml), after the shared ClusterClass the platform team publishes, and wants each Ready.
// Then it deletes them and wants the in-memory cloud to hold what it held before, and the
// simulated vCenter (vsphere.yaml) no VM.
func TestExamplesBecomeReady(t *testing.T) {
	ctx := context.Background()
	if _, err := stack.ApplyInNamespace(ctx, env.kube, filepath.Join(root, "examples", "platform", "standard-class.yaml")); err != nil {
		t.Fatalf("apply the shared ClusterClass: %v", err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "examples", "clusterclaim", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	before := cloudInventory(ctx, t)

	start := time.Now()
	var claims []*unstructured.Unstructured
	for _, p := range paths {
		if filepath.Base(p) == "basic.yaml" {
			continue
		}
		objs, err := stack.ApplyInNamespace(ctx, env.kube, p)
		if err != nil {
			t.Fatalf("apply %s: %v", p, err)
		}
		claims = append(claims, objs[0])
	}
	if len(claims) == 0 {
		t.Fatal("no example claims besides basic.yaml: this test proves nothing")
	}
	for _, claim := range claims {
		waitClaimIn(ctx, t, claim.GetNamespace(), claim.GetName(), readyTimeout, "Ready", ready)
		t.Logf("FIGURE: example %s/%s Ready %s after the examples were applied", claim.GetNamespace(), claim.GetName(), time.Since(start).Round(time.Second))
	}

	for _, claim := range claims {
		if err := env.kube.Delete(ctx, claim); err != nil {
			t.Fatalf("delete %s/%s: %v", claim.GetNamespace(), claim.GetName(), err)
		}
	}
	vc := vcenter(ctx, t)
	poll(ctx, t, "the examples' machines and load balancers to leave the clouds", deleteTimeout, func(ctx context.Context) (bool, error) {
		return cloudInventory(ctx, t) == before && len(vcenterVMs(ctx, t, vc)) == 0 && len(reservedAddresses(ctx, t, vc)) == 0, nil
	})
}
