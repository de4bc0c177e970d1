/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capi_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/capstan-dev/capstan/apis"
	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	provider "github.com/capstan-dev/capstan/internal/controller"
	"github.com/capstan-dev/capstan/internal/controller/capi"
	"github.com/capstan-dev/capstan/internal/controller/capi/bundle"
	"github.com/capstan-dev/capstan/internal/controller/config"
	"github.com/capstan-dev/capstan/internal/localplane"
)

const (
	root        = "../../.."
	clusterWait = 3 * time.Minute
)

// TestIntegrationCluster runs the whole chain on a real management plane: the bundled Cluster
// API controllers, the CapstanCluster and CapstanMachine controllers and the Instance and
// LoadBalancer controllers on the in-memory cloud. A Cluster from the example ClusterClass
// becomes Available, its Nodes answer through its kubeconfig, scaling adds Nodes, and deleting it
// leaves no managed resource and no listener behind.
func TestIntegrationCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local management plane")
	}
	ctrl.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	p, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		t.Fatalf("localplane.Start(...): %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("p.Stop(): %v", err)
		}
	})
	if _, err := envtest.InstallCRDs(p.Config, envtest.CRDInstallOptions{Paths: []string{filepath.Join(root, "package", "provider", "crds")}, ErrorIfPathMissing: true}); err != nil {
		t.Fatalf("envtest.InstallCRDs(...): %v", err)
	}

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, apis.AddToScheme, capi.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	kube, err := client.New(p.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	if err := capi.ApplyCRDs(ctx, kube, capi.CRDOptions{ClusterAPI: true}); err != nil {
		t.Fatalf("capi.ApplyCRDs(...): %v", err)
	}

	mgr, err := ctrl.NewManager(p.Config, ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	drivers := config.NewDrivers(mgr.GetClient(), config.NewDriver(logr.Discard()))
	co := xpcontroller.Options{
		Logger:                  logging.NewNopLogger(),
		MaxConcurrentReconciles: 10,
		PollInterval:            time.Minute,
		GlobalRateLimiter:       ratelimiter.NewGlobal(50),
		Features:                &feature.Flags{},
	}
	if err := provider.Setup(mgr, co, drivers); err != nil {
		t.Fatalf("provider.Setup(...): %v", err)
	}
	if err := capi.Setup(ctx, mgr, co); err != nil {
		t.Fatalf("capi.Setup(...): %v", err)
	}
	b, err := bundle.New(ctx, p.Config, bundle.Options{})
	if err != nil {
		t.Fatalf("bundle.New(...): %v", err)
	}
	if err := mgr.Add(b); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("manager: %v", err)
		}
		closeCtx, closeCancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer closeCancel()
		if err := drivers.Close(closeCtx); err != nil {
			t.Errorf("drivers.Close(...): %v", err)
		}
	})

	ns := "capi-e2e"
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	objs := readObjects(t, filepath.Join(root, "examples", "provider", "clusterproviderconfig.yaml"))
	for _, f := range []string{"clusterclass.yaml", "cluster.yaml"} {
		for _, u := range readObjects(t, filepath.Join(root, "examples", "capi", f)) {
			u.SetNamespace(ns)
			objs = append(objs, u)
		}
	}
	created := time.Now()
	for _, u := range objs {
		eventually(t, time.Minute, "create "+u.GetKind()+" "+u.GetName(), func() error { return kube.Create(ctx, u.DeepCopy()) })
	}

	cl := &clusterv1.Cluster{}
	key := types.NamespacedName{Namespace: ns, Name: "example"}
	eventually(t, clusterWait, "the Cluster to be Available", func() error {
		if err := kube.Get(ctx, key, cl); err != nil {
			return err
		}
		if !conditions.IsTrue(cl, clusterv1.AvailableCondition) {
			return errors.Errorf("Available: %s", conditions.GetMessage(cl, clusterv1.AvailableCondition))
		}
		return nil
	})
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
	eventually(t, clusterWait, "every Instance and LoadBalancer to be gone", func() error {
		il, ll := &computev1alpha1.InstanceList{}, &networkv1alpha1.LoadBalancerList{}
		if err := kube.List(ctx, il, client.InNamespace(ns)); err != nil {
			return err
		}
		if err := kube.List(ctx, ll, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(il.Items)+len(ll.Items) > 0 {
			return errors.Errorf("%d Instances and %d LoadBalancers left", len(il.Items), len(ll.Items))
		}
		return nil
	})
	t.Logf("everything deleted %s after the Cluster was", time.Since(deleted).Round(time.Second))
	eventually(t, 30*time.Second, "the control-plane endpoint's port to be free", func() error {
		l, err := net.Listen("tcp", net.JoinHostPort(cl.Spec.ControlPlaneEndpoint.Host, strconv.Itoa(int(port))))
		if err != nil {
			return err
		}
		return l.Close()
	})
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				t.Logf("peak RSS of the test process (manager, Cluster API bundle, in-memory cloud): %s", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
			}
		}
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

func eventually(t *testing.T, within time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, within, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
