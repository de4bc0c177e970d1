/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/cluster/install"
	"github.com/capstan-dev/capstan/internal/registry/registrytest"
)

func TestState(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadState(dir); !os.IsNotExist(err) {
		t.Errorf("ReadState with no state: want a not-exist error, got %v", err)
	}
	want := State{
		PID: 42, Executable: "capstan", Kubeconfig: "/tmp/k", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Processes: []Process{{Name: "etcd", PID: 43}, {Name: "kube-apiserver", PID: 44}},
	}
	if err := WriteState(dir, want); err != nil {
		t.Fatalf("WriteState: %v", err)
	}
	got, err := ReadState(dir)
	if err != nil {
		t.Fatalf("ReadState: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadState after WriteState: -want, +got:\n%s", diff)
	}
	if err := RemoveState(dir); err != nil {
		t.Errorf("RemoveState: %v", err)
	}
	if err := RemoveState(dir); err != nil {
		t.Errorf("RemoveState with nothing to remove: %v", err)
	}
}

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		reason string
		o      Options
		want   string
	}{
		"NoDir": {
			reason: "The stack needs somewhere for its logs and certificates.",
			o:      Options{},
			want:   errNoDir,
		},
		"NoPackages": {
			reason: "Packages that were not built name the directory and how to build them.",
			o:      Options{Dir: t.TempDir(), Packages: "/nonexistent/xpkg"},
			want:   `cannot find Capstan's packages in "/nonexistent/xpkg": build them first (make build)`,
		},
		"MissingProvider": {
			reason: "A provider binary that is not there names the path and how to build it.",
			o:      Options{Dir: t.TempDir(), Packages: t.TempDir(), ProviderBinary: "/nonexistent/provider"},
			want:   `cannot find the provider binary "/nonexistent/provider": build it first (make build)`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if err := check(tc.o); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("%s\ncheck: got error %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

func TestIntegrationStack(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane and Crossplane binaries (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	root := filepath.Join("..", "..")
	s, err := Up(ctx, Options{
		Dir:      t.TempDir(),
		Packages: filepath.Join(root, "_output", "xpkg"),
	})
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Cleanup(func() { _ = s.Down() })

	names := map[string]bool{}
	for _, p := range Children() {
		names[p.Name] = true
	}
	for _, want := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "crossplane-core"} {
		if !names[want] {
			t.Errorf("Children after Up: no %s among %v", want, names)
		}
	}

	// Up returns once core has made the ClusterClaim XRD a served CRD, so a claim can follow.
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := s.Client.Get(ctx, client.ObjectKey{Name: "clusterclaims.platform.capstan.dev"}, crd); err != nil {
		t.Errorf("ClusterClaim CRD right after Up: %v", err)
	}
	established := false
	for _, c := range crd.Status.Conditions {
		established = established || (c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue)
	}
	if !established {
		t.Errorf("ClusterClaim CRD right after Up: not established: %+v", crd.Status.Conditions)
	}

	if err := DefaultProviderConfig(ctx, s.Client, ""); err != nil {
		t.Fatalf("DefaultProviderConfig: %v", err)
	}
	if err := DefaultProviderConfig(ctx, s.Client, ""); err != nil {
		t.Errorf("DefaultProviderConfig a second time: %v", err)
	}
	pc := &v1alpha1.ClusterProviderConfig{}
	if err := s.Client.Get(ctx, client.ObjectKey{Name: DefaultProviderConfigName}, pc); err != nil {
		t.Errorf("get default ClusterProviderConfig: %v", err)
	}
	if pc.Spec.Driver.InMemory == nil {
		t.Errorf("default ClusterProviderConfig: want the inMemory driver, got %+v", pc.Spec.Driver)
	}
	if err := s.Client.Get(ctx, client.ObjectKey{Name: "instances.compute.capstan.dev"}, crd); err != nil {
		t.Errorf("provider CRD not installed: %v", err)
	}

	// Applied as kubectl would: into default when no namespace is named, creating a missing one.
	manifest := filepath.Join(t.TempDir(), "cms.yaml")
	cms := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: team-a}\n"
	if err := os.WriteFile(manifest, []byte(cms), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyInNamespace(ctx, s.Client, manifest); err != nil {
		t.Fatalf("ApplyInNamespace: %v", err)
	}
	for _, key := range []client.ObjectKey{{Namespace: DefaultNamespace, Name: "a"}, {Namespace: "team-a", Name: "b"}} {
		if err := s.Client.Get(ctx, key, &corev1.ConfigMap{}); err != nil {
			t.Errorf("ApplyInNamespace: ConfigMap %s: %v", key, err)
		}
	}

	// Crossplane core killed is started again, as a Deployment restarts a dead pod.
	core := s.Components()[0]
	if core.Name != "crossplane" || core.Restarts != 0 {
		t.Fatalf("Components()[0]: got %+v, want crossplane, never restarted", core)
	}
	if err := syscall.Kill(core.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return s.Components()[0].Restarts == 1, nil
	})
	if err != nil {
		t.Fatalf("waiting for the stack to start core again: %v", err)
	}
	if again := s.Components()[0]; again.PID == core.PID {
		t.Errorf("core after a restart: still pid %d", again.PID)
	}

	if err := s.Down(); err != nil {
		t.Fatalf("Down: %v", err)
	}
	if got := Children(); len(got) != 0 {
		t.Errorf("after Down: child processes still running: %v", got)
	}
}

// TestIntegrationComponentFailsToStart: a component that exits at start-up fails the stack's
// start at once, with the end of its log.
func TestIntegrationComponentFailsToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane and Crossplane binaries (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fn := filepath.Join(t.TempDir(), "function")
	if err := os.WriteFile(fn, []byte("#!/bin/sh\necho cannot listen: address already in use >&2\nexit 1\n"), 0o700); err != nil { //nolint:gosec // a script the test runs.
		t.Fatal(err)
	}
	start := time.Now()
	s, err := Up(ctx, Options{Dir: t.TempDir(), Packages: filepath.Join("..", "..", "_output", "xpkg"), FunctionBinary: fn})
	if err == nil {
		_ = s.Down()
		t.Fatal("Up with a function that exits at once: got no error")
	}
	t.Logf("Up failed after %s: %v", time.Since(start).Round(100*time.Millisecond), err)
	if !strings.Contains(err.Error(), "last lines of function.log:\ncannot listen: address already in use") {
		t.Errorf("Up: error %q does not end with the function's log", err)
	}
	if got := Children(); len(got) != 0 {
		t.Errorf("after a failed Up: child processes still running: %v", got)
	}
}

// A configuration asking for a provider version nobody published: the version the package
// manager cannot resolve.
const unresolvable = `
apiVersion: meta.pkg.crossplane.io/v1
kind: Configuration
metadata: {name: configuration-clusterclaim}
spec:
  dependsOn:
  - apiVersion: pkg.crossplane.io/v1
    kind: Provider
    package: xpkg.capstan.dev/capstan/provider-capstan
    version: ">=v9.0.0"
`

func TestIntegrationUnresolvedDependency(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane and Crossplane binaries (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The real provider and function packages beside a configuration that cannot resolve.
	built := filepath.Join("..", "..", "_output", "xpkg")
	dir := t.TempDir()
	for _, pkg := range []string{ProviderPackage, FunctionPackage} {
		files, err := packageFiles(built, pkg)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			abs, _ := filepath.Abs(f)
			if err := os.Symlink(abs, filepath.Join(dir, filepath.Base(f))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Rename(registrytest.Package(t, unresolvable), filepath.Join(dir, ConfigurationPackage+".xpkg")); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	s, err := Up(ctx, Options{Dir: t.TempDir(), Packages: dir})
	if err == nil {
		_ = s.Down()
		t.Fatal("Up with a dependency that cannot resolve: got no error")
	}
	took := time.Since(start)
	t.Logf("Up failed after %s: %v", took.Round(100*time.Millisecond), err)
	for _, want := range []string{"Configuration " + install.ConfigurationName, "provider-capstan", ">=v9.0.0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Up: error %q does not name %q", err, want)
		}
	}
	if got := Children(); len(got) != 0 {
		t.Errorf("after a failed Up: child processes still running: %v", got)
	}
}
