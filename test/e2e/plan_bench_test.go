//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan-dev/capstan/internal/plan"
)

// BenchmarkPlanVersionBump measures capstan plan of a version upgrade of a claim of three
// control-plane machines and three workers in two pools, each of which the plan replaces: the
// control plane in step 1, then one pool at a time (Cluster API's default upgrade concurrency),
// in the claim's order. Run it with `make bench.plan`.
func BenchmarkPlanVersionBump(b *testing.B) {
	ctx := context.Background()
	claim := claimObject("plan-bench", map[string]any{
		"version":      "v1.34.3",
		"controlPlane": map[string]any{"replicas": int64(3)},
		"workers": []any{
			map[string]any{"name": "default", "replicas": int64(2)},
			map[string]any{"name": "batch", "replicas": int64(1)},
		},
	})
	if err := env.kube.Create(ctx, claim); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { deleteAndWait(context.Background(), b, claim) })
	poll(ctx, b, "3 + 2 + 1 machines Ready", 2*readyTimeout, func(ctx context.Context) (bool, error) {
		c := getClaim(ctx, b, claim.GetName())
		cp, _, _ := unstructured.NestedString(c.Object, "status", "controlPlane", "summary")
		w, _, _ := unstructured.NestedString(c.Object, "status", "workers", "summary")
		return ready(c) && cp == "3/3" && w == "3/3", nil
	})
	cfg, err := clientcmd.BuildConfigFromFlags("", env.stack.Kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	file := claimObject(claim.GetName(), map[string]any{})
	file.Object["spec"] = getClaim(ctx, b, claim.GetName()).Object["spec"]
	_ = unstructured.SetNestedField(file.Object, "v1.35.4", "spec", "version")

	printed := false
	for b.Loop() {
		p, err := plan.Make(ctx, cfg, file.DeepCopy())
		if err != nil {
			b.Fatal(err)
		}
		if !printed {
			// The README shows it.
			_ = p.WriteText(os.Stdout)
			printed = true
		}
		steps := map[string]int{}
		replaced := 0
		for _, m := range p.Machines {
			if m.Action == plan.Replace {
				replaced++
				steps[m.Group()] = m.Step
			}
		}
		if replaced != 6 || steps[plan.ControlPlane] != 1 || steps["default"] != 2 || steps["batch"] != 3 {
			b.Fatalf("plan: %d machines replaced in steps %v, want 6: the control plane in step 1, then one pool at a time in the claim's order", replaced, steps)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/plan")
}
