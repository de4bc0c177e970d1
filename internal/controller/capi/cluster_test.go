/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capi_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

const clusterWait = 3 * time.Minute

// TestIntegrationCluster runs the whole chain on a real management plane: the bundled Cluster
// API controllers, the CapstanCluster and CapstanMachine controllers and the Instance and
// LoadBalancer controllers on the in-memory cloud. A Cluster from the example ClusterClass
// becomes Available, its Nodes answer through its kubeconfig, scaling adds Nodes, and deleting it
// leaves no managed resource and no listener behind.
func TestIntegrationCluster(t *testing.T) {
	ns := "capi-e2e"
	kube := startStack(t, ns)
	ctx := t.Context()

	created := time.Now()
	for _, u := range readObjects(t, filepath.Join(root, "examples", "capi", "cluster.yaml")) {
		u.SetNamespace(ns)
		eventually(t, time.Minute, "create "+u.GetKind()+" "+u.GetName(), func() error { return kube.Create(ctx, u.DeepCopy()) })
	}

	cl := &clusterv1.Cluster{}
	key := types.NamespacedName{Namespace: ns, Name: "example"}
	eventually(t, clusterWait, "the Cluster to be Available", func() error { return available(ctx, kube, key, cl) })
	t.Logf("Cluster Available %s after it was created (1 control-plane machine, 1 worker)", time.Since(created).Round(time.Second))

	workload := workloadClient(t, kube, ns)
	eventually(t, time.Minute, "2 Nodes in the workload cluster", func() error { return nodes(ctx, workload, 2) })

	md := &clusterv1.MachineDeploymentList{}
	if err := kube.List(ctx, md, client.InNamespace(ns)); err != nil || len(md.Items) != 1 {
		t.Fatalf("MachineDeployments: %v, %d", err, len(md.Items))
	}
	scaled := time.Now()
	patchReplicas(t, kube, cl, 3)
	eventually(t, clusterWait, "4 Nodes after scaling the workers to 3", func() error { return nodes(ctx, workload, 4) })
	t.Logf("workers scaled 1 to 3 in %s", time.Since(scaled).Round(time.Second))

	port := cl.Spec.ControlPlaneEndpoint.Port
	deleted := time.Now()
	if err := kube.Delete(ctx, cl); err != nil {
		t.Fatal(err)
	}
	eventually(t, clusterWait, "every Instance and LoadBalancer to be gone", func() error { return noneLeft(ctx, kube, client.InNamespace(ns)) })
	t.Logf("everything deleted %s after the Cluster was", time.Since(deleted).Round(time.Second))
	eventually(t, 30*time.Second, "the control-plane endpoint's port to be free", func() error {
		l, err := net.Listen("tcp", net.JoinHostPort(cl.Spec.ControlPlaneEndpoint.Host, strconv.Itoa(int(port))))
		if err != nil {
			return err
		}
		return l.Close()
	})
	if kib, err := peakRSS(); err == nil {
		t.Logf("peak RSS of the test process (manager, Cluster API bundle, in-memory cloud): %d kB", kib)
	}
	cms := &infrav1.CapstanMachineList{}
	if err := kube.List(ctx, cms, client.InNamespace(ns)); err != nil || len(cms.Items) != 0 {
		t.Errorf("CapstanMachines left: %v, %d", err, len(cms.Items))
	}
}

func patchReplicas(t *testing.T, kube client.Client, cl *clusterv1.Cluster, n int32) {
	t.Helper()
	orig := cl.DeepCopy()
	cl.Spec.Topology.Workers.MachineDeployments[0].Replicas = ptr.To(n)
	if err := kube.Patch(context.Background(), cl, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
}

func workloadClient(t *testing.T, kube client.Client, ns string) client.Client {
	t.Helper()
	sec := &corev1.Secret{}
	if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "example-kubeconfig"}, sec); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(sec.Data["value"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func nodes(ctx context.Context, c client.Client, want int) error {
	l := &corev1.NodeList{}
	if err := c.List(ctx, l); err != nil {
		return err
	}
	if len(l.Items) != want {
		return errors.Errorf("%d Nodes", len(l.Items))
	}
	return nil
}

// available is nil once the Cluster at key, read into cl, is Available.
func available(ctx context.Context, kube client.Client, key types.NamespacedName, cl *clusterv1.Cluster) error {
	if err := kube.Get(ctx, key, cl); err != nil {
		return err
	}
	if !conditions.IsTrue(cl, clusterv1.AvailableCondition) {
		return errors.Errorf("Available: %s", conditions.GetMessage(cl, clusterv1.AvailableCondition))
	}
	return nil
}

// noneLeft is nil once no Instance and no LoadBalancer matches opts.
func noneLeft(ctx context.Context, kube client.Client, opts ...client.ListOption) error {
	il, ll := &computev1alpha1.InstanceList{}, &networkv1alpha1.LoadBalancerList{}
	if err := kube.List(ctx, il, opts...); err != nil {
		return err
	}
	if err := kube.List(ctx, ll, opts...); err != nil {
		return err
	}
	if len(il.Items)+len(ll.Items) > 0 {
		return errors.Errorf("%d Instances and %d LoadBalancers left", len(il.Items), len(ll.Items))
	}
	return nil
}

// peakRSS is this process's peak resident set size in KiB (VmHWM).
func peakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
