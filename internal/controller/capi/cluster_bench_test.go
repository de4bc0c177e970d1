/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capi_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// benchWait bounds one Cluster's way to Available and its teardown; three control-plane
// machines join one after another.
const benchWait = 10 * time.Minute

// BenchmarkIntegrationClusterAvailable measures the time from creating a Cluster of the example
// ClusterClass to its Available condition and to every machine it asks for being available,
// for the README's figures, and the peak RSS of the process that runs the manager, the Cluster
// API bundle and the in-memory cloud.
func BenchmarkIntegrationClusterAvailable(b *testing.B) {
	ns := "capi-bench"
	kube := startStack(b, ns)
	example := exampleCluster(b, ns)
	// NOTE: a slice, not a map: the peak RSS each case reports includes the cases before it.
	cases := []struct {
		name          string
		controlPlanes int32
		workers       int32
	}{
		{name: "1cp-1worker", controlPlanes: 1, workers: 1},
		{name: "3cp-3workers", controlPlanes: 3, workers: 3},
	}
	// NOTE: a Cluster's name stays taken until its deletion ends; a counter across every run
	// of every case keeps each one fresh.
	n := 0
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ctx := b.Context()
			var took, tookAll time.Duration
			for range b.N {
				b.StopTimer()
				n++
				cl := example.DeepCopy()
				cl.SetName(fmt.Sprintf("bench-%d", n))
				cl.Spec.Topology.ControlPlane.Replicas = ptr.To(tc.controlPlanes)
				cl.Spec.Topology.Workers.MachineDeployments[0].Replicas = ptr.To(tc.workers)
				key := client.ObjectKeyFromObject(cl)

				b.StartTimer()
				start := time.Now()
				if err := kube.Create(ctx, cl); err != nil {
					b.Fatalf("create Cluster %s: %v", key, err)
				}
				eventually(b, benchWait, "Cluster "+key.String()+" to be Available", func() error { return available(ctx, kube, key, &clusterv1.Cluster{}) })
				took += time.Since(start)
				b.StopTimer()
				// NOTE: Available needs only one healthy control-plane machine; the README also
				// states when every machine asked for is available.
				eventually(b, benchWait, "every machine of Cluster "+key.String()+" to be available", func() error {
					return machinesAvailable(ctx, kube, key, tc.controlPlanes, tc.workers)
				})
				tookAll += time.Since(start)

				if err := kube.Delete(ctx, cl); err != nil {
					b.Fatalf("delete Cluster %s: %v", key, err)
				}
				// The namespace holds only this Cluster's machines: one Cluster at a time.
				eventually(b, benchWait, "Cluster "+key.String()+"'s Instances and LoadBalancers to be gone", func() error { return noneLeft(ctx, kube, client.InNamespace(ns)) })
				b.StartTimer()
			}
			b.ReportMetric(took.Seconds()/float64(b.N), "s/available")
			b.ReportMetric(tookAll.Seconds()/float64(b.N), "s/all-machines-available")
			kib, err := peakRSS()
			if err != nil {
				b.Fatalf("peakRSS(): %v", err)
			}
			b.ReportMetric(float64(kib)/1024, "MiB-peak-rss")
		})
	}
}

// exampleCluster reads examples/capi/cluster.yaml into namespace ns, checking it has the
// MachineDeployment the cases scale.
func exampleCluster(tb testing.TB, ns string) *clusterv1.Cluster {
	tb.Helper()
	path := filepath.Join(root, "examples", "capi", "cluster.yaml")
	objs := readObjects(tb, path)
	if len(objs) != 1 {
		tb.Fatalf("%s: want one Cluster, got %d objects", path, len(objs))
	}
	cl := &clusterv1.Cluster{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[0].Object, cl); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if md := cl.Spec.Topology.Workers.MachineDeployments; len(md) != 1 || md[0].Name != "md-0" {
		tb.Fatalf("%s: spec.topology.workers.machineDeployments: want only md-0", path)
	}
	cl.SetNamespace(ns)
	return cl
}

// machinesAvailable is nil once the Cluster at key reports cp available control-plane machines
// and w available workers.
func machinesAvailable(ctx context.Context, kube client.Client, key types.NamespacedName, cp, w int32) error {
	cl := &clusterv1.Cluster{}
	if err := kube.Get(ctx, key, cl); err != nil {
		return err
	}
	var gotCP, gotW int32
	if s := cl.Status.ControlPlane; s != nil {
		gotCP = ptr.Deref(s.AvailableReplicas, 0)
	}
	if s := cl.Status.Workers; s != nil {
		gotW = ptr.Deref(s.AvailableReplicas, 0)
	}
	if gotCP != cp || gotW != w {
		return errors.Errorf("%d of %d control-plane machines and %d of %d workers available", gotCP, cp, gotW, w)
	}
	return nil
}
