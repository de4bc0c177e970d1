/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blang/semver/v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/cloudinit"
	kubeadmtypes "sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

const (
	benchNamespace = "bench"
	benchRate      = 100
)

// BenchmarkProvider measures the managed resource controllers on a real API server and the
// in-memory cloud, with instances that boot at once: the time from create to Ready of one worker
// Instance, and how fast 100 and 1000 worker Instances become Ready, with this process's memory
// (controllers, informer caches and the in-memory cloud). The API server runs apart. Run it with
// -benchtime=1x: every iteration creates real objects.
func BenchmarkProvider(b *testing.B) {
	if testing.Short() {
		b.Skip("needs a local management plane")
	}
	e := startEnv(b, envOptions{MaxReconcileRate: benchRate, PollInterval: time.Minute})
	worker := e.benchCluster(b)

	b.Run("InstanceReady", func(b *testing.B) {
		var total time.Duration
		for i := range b.N {
			start := time.Now()
			e.createWorkers(b, worker, fmt.Sprintf("single-%d", i), 1)
			e.waitReady(b, 1)
			total += time.Since(start)
			e.deleteWorkers(b)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/ready")
	})
	for _, n := range []int{100, 1000} {
		b.Run("Instances="+strconv.Itoa(n), func(b *testing.B) {
			for i := range b.N {
				runtime.GC()
				before := heapInuse()
				start := time.Now()
				e.createWorkers(b, worker, fmt.Sprintf("many-%d", i), n)
				e.waitReady(b, n)
				elapsed := time.Since(start)
				runtime.GC()
				b.ReportMetric(float64(n)/elapsed.Seconds(), "ready/s")
				b.ReportMetric(float64(heapInuse())/(1<<20), "heap-MiB")
				b.ReportMetric(float64(heapInuse()-min(before, heapInuse()))/float64(n)/(1<<10), "heap-KiB/instance")
				b.ReportMetric(rssMiB(b), "rss-MiB")
				e.deleteWorkers(b)
			}
		})
	}
}

// benchCluster makes a cluster the benchmark's workers join: a ClusterProviderConfig with
// instant boots, a LoadBalancer and its control plane Instance. It returns the workers' bootstrap
// Secret.
func (e *env) benchCluster(b *testing.B) string {
	b.Helper()
	ctx := context.Background()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	ref := &xpv2.ProviderConfigReference{Kind: v1alpha1.ClusterProviderConfigKind, Name: "bench"}
	must(e.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}))
	must(e.kube.Create(ctx, &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		Spec: v1alpha1.ProviderConfigSpec{Driver: v1alpha1.DriverConfig{InMemory: &v1alpha1.InMemoryDriver{
			BootDelay: &metav1.Duration{},
			PortRange: &v1alpha1.PortRange{Min: 27000, Max: 27099},
		}}},
	}))
	lb := &networkv1alpha1.LoadBalancer{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: "api"},
		Spec: networkv1alpha1.LoadBalancerSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: ref},
			ForProvider:         networkv1alpha1.LoadBalancerParameters{Listeners: []networkv1alpha1.Listener{{Port: 6443, Protocol: "TLS"}}},
		},
	}
	must(e.kube.Create(ctx, lb))
	waitFor(b, readyTimeout, "the benchmark LoadBalancer", func(ctx context.Context) (bool, error) {
		err := e.kube.Get(ctx, client.ObjectKeyFromObject(lb), lb)
		return err == nil && isReady(lb), err
	}, func() string { return describe(lb) })
	ep := lb.Status.AtProvider.Endpoint

	// NOTE: the control plane boots from the example's kubeadm init data, pointed at this endpoint.
	for _, o := range readExamples(b, examplesDir) {
		if o.GetKind() != "Secret" {
			continue
		}
		v, _, _ := unstructured.NestedString(o.Object, "stringData", "value")
		must(e.kube.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: "cp-bootstrap"},
			StringData: map[string]string{"value": strings.ReplaceAll(v, exampleEndpoint, ep)},
		}))
	}
	cp := benchInstance("cp", "cp-bootstrap")
	must(e.kube.Create(ctx, cp))
	waitFor(b, readyTimeout, "the benchmark control plane", func(ctx context.Context) (bool, error) {
		err := e.kube.Get(ctx, client.ObjectKeyFromObject(cp), cp)
		return err == nil && isReady(cp), err
	}, func() string { return describe(cp) })

	jc, err := kubeadmtypes.MarshalJoinConfigurationForVersion(&bootstrapv1.JoinConfiguration{
		Discovery: bootstrapv1.Discovery{BootstrapToken: bootstrapv1.BootstrapTokenDiscovery{
			APIServerEndpoint:        ep,
			Token:                    "abcdef.0123456789abcdef",
			UnsafeSkipCAVerification: ptr.To(true),
		}},
	}, semver.MustParse("1.35.4"))
	must(err)
	ud, err := cloudinit.NewNode(&cloudinit.NodeInput{JoinConfiguration: jc})
	must(err)
	must(e.kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: "worker-bootstrap"},
		Data:       map[string][]byte{"value": ud},
	}))
	return "worker-bootstrap"
}

// benchInstance is an Instance of the benchmark's provider config that boots from secret.
func benchInstance(name, secret string) *computev1alpha1.Instance {
	return &computev1alpha1.Instance{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: name, Labels: map[string]string{"bench": workerLabel(name)}},
		Spec: computev1alpha1.InstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: v1alpha1.ClusterProviderConfigKind, Name: "bench"}},
			ForProvider: computev1alpha1.InstanceParameters{
				Size:                   ptr.To("small"),
				Image:                  "capstan/kubernetes:v1.35.4",
				BootstrapDataSecretRef: &computev1alpha1.BootstrapDataSecretRef{Name: secret, Key: "value"},
			},
		},
	}
}

// workerLabel marks the Instances a benchmark iteration creates, and not the control plane.
func workerLabel(name string) string {
	if name == "cp" {
		return "control-plane"
	}
	return "worker"
}

// createWorkers creates n worker Instances, a few requests at a time.
func (e *env) createWorkers(b *testing.B, secret, prefix string, n int) {
	b.Helper()
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- e.kube.Create(context.Background(), benchInstance(fmt.Sprintf("%s-%d", prefix, i), secret))
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// waitReady waits until n worker Instances are Ready.
func (e *env) waitReady(b *testing.B, n int) {
	b.Helper()
	l := &computev1alpha1.InstanceList{}
	ready := 0
	waitFor(b, 10*time.Minute, fmt.Sprintf("%d worker Instances to be Ready", n), func(ctx context.Context) (bool, error) {
		if err := e.kube.List(ctx, l, client.InNamespace(benchNamespace), client.MatchingLabels{"bench": "worker"}); err != nil {
			return false, err
		}
		ready = 0
		for i := range l.Items {
			if isReady(&l.Items[i]) {
				ready++
			}
		}
		return ready == n, nil
	}, func() string { return fmt.Sprintf("%d of %d Ready", ready, n) })
}

// deleteWorkers deletes every worker Instance and waits until they are gone.
func (e *env) deleteWorkers(b *testing.B) {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	if err := e.kube.DeleteAllOf(context.Background(), &computev1alpha1.Instance{}, client.InNamespace(benchNamespace), client.MatchingLabels{"bench": "worker"}); err != nil {
		b.Fatal(err)
	}
	l := &computev1alpha1.InstanceList{}
	waitFor(b, 10*time.Minute, "the worker Instances to be gone", func(ctx context.Context) (bool, error) {
		err := e.kube.List(ctx, l, client.InNamespace(benchNamespace), client.MatchingLabels{"bench": "worker"})
		return err == nil && len(l.Items) == 0, err
	}, func() string { return fmt.Sprintf("%d left", len(l.Items)) })
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rssMiB is this process's resident set size, from /proc/self/status.
func rssMiB(b *testing.B) float64 {
	b.Helper()
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(s), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
