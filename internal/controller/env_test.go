/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	changelogsv1alpha1 "github.com/crossplane/crossplane-runtime/v2/apis/changelogs/proto/v1alpha1"
	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/controller"
	"github.com/capstan-dev/capstan/internal/controller/config"
	"github.com/capstan-dev/capstan/internal/localplane"
)

const (
	crdDir      = "../../package/provider/crds"
	examplesDir = "../../examples/provider"
)

// env is a local management plane with the provider's CRDs and its controllers running in this
// process on the real in-memory cloud.
type env struct {
	kube    client.Client
	drivers *config.Drivers
	changes *changes
}

// changes records what the managed reconcilers write to the change logs.
type changes struct {
	mu      sync.Mutex
	entries []string
}

// Log records "<operation> <kind>/<name>".
func (c *changes) Log(_ context.Context, mg resource.Managed, op changelogsv1alpha1.OperationType, _ error, _ managed.AdditionalDetails) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, op.String()+" "+mg.GetObjectKind().GroupVersionKind().Kind+"/"+mg.GetName())
	return nil
}

// logged reports whether entry was recorded.
func (c *changes) logged(entry string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.entries, entry)
}

// envOptions configure the controllers of an env.
type envOptions struct {
	// MaxReconcileRate is the global reconcile rate and each controller's concurrency.
	MaxReconcileRate int
	// PollInterval of ready managed resources.
	PollInterval time.Duration
}

// startEnv starts an env that lives until the test ends.
func startEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	ctrl.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())

	plane, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		cancel()
		tb.Fatalf("localplane.Start(...): %v", err)
	}
	tb.Cleanup(func() {
		if err := plane.Stop(); err != nil {
			tb.Errorf("plane.Stop(): %v", err)
		}
	})
	if _, err := envtest.InstallCRDs(plane.Config, envtest.CRDInstallOptions{Paths: []string{crdDir}, ErrorIfPathMissing: true}); err != nil {
		cancel()
		tb.Fatalf("envtest.InstallCRDs(...): %v", err)
	}

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, apiextensionsv1.AddToScheme, apis.AddToScheme} {
		if err := add(s); err != nil {
			cancel()
			tb.Fatalf("AddToScheme(...): %v", err)
		}
	}
	cfg := ratelimiter.LimitRESTConfig(plane.Config, o.MaxReconcileRate)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// NOTE: every test and benchmark runs its own manager with the same controller names.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		cancel()
		tb.Fatalf("ctrl.NewManager(...): %v", err)
	}
	// NOTE: wired as cmd/provider wires them: each controller starts once its CRDs exist.
	drivers := config.NewDrivers(mgr.GetClient(), config.NewDriver(logr.Discard()))
	changes := &changes{}
	co := xpcontroller.Options{
		Logger:                  logging.NewNopLogger(),
		MaxConcurrentReconciles: o.MaxReconcileRate,
		PollInterval:            o.PollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(o.MaxReconcileRate),
		Features:                &feature.Flags{},
		Gate:                    new(gate.Gate[schema.GroupVersionKind]),
		ChangeLogOptions:        &xpcontroller.ChangeLogOptions{ChangeLogger: changes},
	}
	co.Features.Enable(feature.EnableBetaManagementPolicies)
	if err := customresourcesgate.Setup(mgr, co); err != nil {
		cancel()
		tb.Fatalf("customresourcesgate.Setup(...): %v", err)
	}
	if err := controller.SetupGated(mgr, co, drivers); err != nil {
		cancel()
		tb.Fatalf("controller.SetupGated(...): %v", err)
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

	kube, err := client.New(plane.Config, client.Options{Scheme: s})
	if err != nil {
		tb.Fatalf("client.New(...): %v", err)
	}
	return &env{kube: kube, drivers: drivers, changes: changes}
}

// driver is the cloud driver of mg's provider config, as its controllers use it.
func (e *env) driver(tb testing.TB, mg resource.ModernManaged) cloud.Driver {
	tb.Helper()
	cfg, err := e.drivers.Resolve(context.Background(), mg)
	if err != nil {
		tb.Fatalf("Resolve(...): %v", err)
	}
	return cfg.Driver
}

// readExamples returns every object of the YAML files in dir, file by file in name order.
func readExamples(tb testing.TB, dir string) []*unstructured.Unstructured {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(files)
	var objs []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := d.Decode(&u.Object); err != nil {
				if err == io.EOF { //nolint:errorlint // the decoder returns io.EOF itself.
					break
				}
				tb.Fatalf("%s: %v", f, err)
			}
			if len(u.Object) > 0 {
				objs = append(objs, u)
			}
		}
	}
	return objs
}

// waitFor polls cond until it holds. After timeout it fails the test, saying what it waited for
// and what state describes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error), state func() string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		// NOTE: each poll gets a context of its own, so a slow request cannot eat the deadline.
		pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer pcancel()
		return cond(pctx)
	})
	if err != nil {
		tb.Fatalf("waiting %s for %s: %v\nstate:\n%s", timeout, what, err, state())
	}
}

// describe is the spec, annotations and status of mg, for failure messages.
func describe(mg resource.Managed) string {
	b, err := json.MarshalIndent(map[string]any{"kind": fmt.Sprintf("%T", mg), "name": mg.GetName(), "annotations": mg.GetAnnotations(), "object": mg}, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// isReady reports whether obj is Ready and Synced.
func isReady(mg resource.Managed) bool {
	return mg.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue &&
		mg.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
}
