//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// sample is how often the create benchmark looks at the object it waits for.
const sample = 50 * time.Millisecond

// BenchmarkCreate measures, one after the other on the same stack, a claim of one control-plane
// machine and one worker (the default provider config: machines boot in 2 s) from filed to
// Ready, and a Cluster API Cluster of the very same topology and class, created directly, to
// Available. claim-s and cluster-s are their times, claim/cluster what Crossplane and the
// function add. Run it with `make bench.create`.
func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	var claimTotal, clusterTotal time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("create-%d", i)
		i++
		filed := time.Now()
		claim := claimObject(name, map[string]any{
			"version": "v1.35.4",
			"workers": []any{map[string]any{"name": "default", "replicas": int64(1)}},
		})
		if err := env.kube.Create(ctx, claim); err != nil {
			b.Fatalf("create ClusterClaim %s: %v", name, err)
		}
		until(ctx, b, claim, "Ready")
		claimTook := time.Since(filed)

		raw := rawCluster(ctx, b, name)
		created := time.Now()
		if err := env.kube.Create(ctx, raw); err != nil {
			b.Fatalf("create Cluster %s: %v", raw.GetName(), err)
		}
		until(ctx, b, raw, clusterv1.AvailableCondition)
		clusterTook := time.Since(created)

		fmt.Printf("FIGURE: ClusterClaim %s Ready in %s; Cluster %s Available in %s; %.2fx\n",
			name, claimTook.Round(10*time.Millisecond), raw.GetName(), clusterTook.Round(10*time.Millisecond),
			claimTook.Seconds()/clusterTook.Seconds())
		claimTotal += claimTook
		clusterTotal += clusterTook

		b.StopTimer()
		deleteAndWait(ctx, b, raw)
		deleteAndWait(ctx, b, claim)
		b.StartTimer()
	}
	b.ReportMetric(claimTotal.Seconds()/float64(i), "claim-s")
	b.ReportMetric(clusterTotal.Seconds()/float64(i), "cluster-s")
	b.ReportMetric(claimTotal.Seconds()/clusterTotal.Seconds(), "claim/cluster")
}

// rawCluster is a Cluster named <claim>-raw with the claim's Cluster's topology and network: what
// a platform team using Cluster API alone would create for the same cluster.
func rawCluster(ctx context.Context, b *testing.B, claim string) *unstructured.Unstructured {
	b.Helper()
	composed := &unstructured.Unstructured{}
	composed.SetGroupVersionKind(clusterv1.GroupVersion.WithKind("Cluster"))
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: claim}, composed); err != nil {
		b.Fatalf("get the Cluster of %s: %v", claim, err)
	}
	spec, _, _ := unstructured.NestedMap(composed.Object, "spec")
	raw := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"topology": spec["topology"], "clusterNetwork": spec["clusterNetwork"]},
	}}
	raw.SetGroupVersionKind(composed.GroupVersionKind())
	raw.SetNamespace(ns)
	raw.SetName(claim + "-raw")
	return raw
}

// until samples obj until its condition typ is True.
func until(ctx context.Context, b *testing.B, obj *unstructured.Unstructured, typ string) {
	b.Helper()
	err := wait.PollUntilContextTimeout(ctx, sample, readyTimeout, true, func(ctx context.Context) (bool, error) {
		if err := env.kube.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return condition(obj, typ)["status"] == "True", nil
	})
	if err != nil {
		b.Fatalf("%s %s not %s within %s: %v", obj.GetKind(), obj.GetName(), typ, readyTimeout, err)
	}
}

// deleteAndWait deletes obj and waits until it is gone.
func deleteAndWait(ctx context.Context, b *testing.B, obj *unstructured.Unstructured) {
	b.Helper()
	if err := env.kube.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
		b.Fatalf("delete %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	err := wait.PollUntilContextTimeout(ctx, time.Second, deleteTimeout, true, func(ctx context.Context) (bool, error) {
		return apierrors.IsNotFound(env.kube.Get(ctx, client.ObjectKeyFromObject(obj), obj.DeepCopy())), nil
	})
	if err != nil {
		b.Fatalf("%s %s not gone within %s: %v", obj.GetKind(), obj.GetName(), deleteTimeout, err)
	}
}
