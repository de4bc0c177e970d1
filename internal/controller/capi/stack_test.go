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
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"

	"github.com/capstan-dev/capstan/apis"
	provider "github.com/capstan-dev/capstan/internal/controller"
	"github.com/capstan-dev/capstan/internal/controller/capi"
	"github.com/capstan-dev/capstan/internal/controller/capi/bundle"
	"github.com/capstan-dev/capstan/internal/controller/config"
	"github.com/capstan-dev/capstan/internal/localplane"
)

const root = "../../.."

// startStack runs the whole management stack in this process on a local plane: the Instance and
// LoadBalancer controllers on the in-memory cloud, the CapstanCluster and CapstanMachine
// controllers and the bundled Cluster API controllers. It creates namespace ns holding the
// example ClusterClass, next to the example ClusterProviderConfig, and returns a client of the
// plane. Everything stops when tb's cleanups run.
func startStack(tb testing.TB, ns string) client.Client {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs a local management plane")
	}
	ctrl.SetLogger(logr.Discard())
	// NOTE: not tb.Context(): that is cancelled before cleanups run, and the plane must outlive
	// the manager, which stops in a cleanup.
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)

	p, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		tb.Fatalf("localplane.Start(...): %v", err)
	}
	tb.Cleanup(func() {
		if err := p.Stop(); err != nil {
			tb.Errorf("p.Stop(): %v", err)
		}
	})
	if _, err := envtest.InstallCRDs(p.Config, envtest.CRDInstallOptions{Paths: []string{filepath.Join(root, "package", "provider", "crds")}, ErrorIfPathMissing: true}); err != nil {
		tb.Fatalf("envtest.InstallCRDs(...): %v", err)
	}

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, apiextensionsv1.AddToScheme, apis.AddToScheme, capi.AddToScheme} {
		if err := add(s); err != nil {
			tb.Fatal(err)
		}
	}
	kube, err := client.New(p.Config, client.Options{Scheme: s})
	if err != nil {
		tb.Fatal(err)
	}
	if err := capi.ApplyCRDs(ctx, kube, capi.CRDOptions{ClusterAPI: true}); err != nil {
		tb.Fatalf("capi.ApplyCRDs(...): %v", err)
	}

	mgr, err := ctrl.NewManager(p.Config, ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	drivers := config.NewDrivers(mgr.GetClient(), config.NewDriver(logr.Discard()))
	co := xpcontroller.Options{
		Logger:                  logging.NewNopLogger(),
		MaxConcurrentReconciles: 10,
		PollInterval:            time.Minute,
		GlobalRateLimiter:       ratelimiter.NewGlobal(50),
		Features:                &feature.Flags{},
		Gate:                    new(gate.Gate[schema.GroupVersionKind]),
	}
	// NOTE: wired as cmd/provider wires them: each controller starts once its CRDs exist.
	if err := customresourcesgate.Setup(mgr, co); err != nil {
		tb.Fatalf("customresourcesgate.Setup(...): %v", err)
	}
	if err := provider.SetupGated(mgr, co, drivers); err != nil {
		tb.Fatalf("provider.SetupGated(...): %v", err)
	}
	if err := capi.SetupGated(ctx, mgr, co); err != nil {
		tb.Fatalf("capi.SetupGated(...): %v", err)
	}
	bdl, err := bundle.New(ctx, p.Config, bundle.Options{})
	if err != nil {
		tb.Fatalf("bundle.New(...): %v", err)
	}
	if err := mgr.Add(bdl); err != nil {
		tb.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			tb.Errorf("manager: %v", err)
		}
		closeCtx, closeCancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer closeCancel()
		if err := drivers.Close(closeCtx); err != nil {
			tb.Errorf("drivers.Close(...): %v", err)
		}
	})

	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		tb.Fatal(err)
	}
	objs := readObjects(tb, filepath.Join(root, "examples", "provider", "clusterproviderconfig.yaml"))
	for _, u := range readObjects(tb, filepath.Join(root, "examples", "capi", "clusterclass.yaml")) {
		u.SetNamespace(ns)
		objs = append(objs, u)
	}
	for _, u := range objs {
		eventually(tb, time.Minute, "create "+u.GetKind()+" "+u.GetName(), func() error { return kube.Create(ctx, u.DeepCopy()) })
	}
	return kube
}

func eventually(tb testing.TB, within time.Duration, what string, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s: %v", what, within, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func readObjects(tb testing.TB, path string) []*unstructured.Unstructured {
	tb.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		tb.Fatal(err)
	}
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
