/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package xpcore

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
	"github.com/crossplane/function-sdk-go"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/localplane"
	"github.com/capstan-dev/capstan/internal/registry"
	"github.com/capstan-dev/capstan/internal/registry/registrytest"
)

// A namespaced XR whose one-step pipeline composes a ConfigMap holding spec.message.
const (
	xrd = `
apiVersion: apiextensions.crossplane.io/v2
kind: CompositeResourceDefinition
metadata:
  name: notes.test.capstan.dev
spec:
  group: test.capstan.dev
  names: {kind: Note, plural: notes}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    referenceable: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              message: {type: string}
`
	composition = `
apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata:
  name: notes
spec:
  compositeTypeRef: {apiVersion: test.capstan.dev/v1alpha1, kind: Note}
  mode: Pipeline
  pipeline:
  - step: compose
    functionRef: {name: function-note}
`
	// The function's package: its metadata, as package.yaml in the image's only layer.
	functionMeta = `
apiVersion: meta.pkg.crossplane.io/v1
kind: Function
metadata: {name: function-note}
spec:
  capabilities: [composition]
`
	note = `
apiVersion: test.capstan.dev/v1alpha1
kind: Note
metadata: {namespace: default, name: hello}
spec: {message: composed by a function on loopback}
`
)

// noteFunction composes a ConfigMap named after the XR, holding its spec.message, ready at once.
type noteFunction struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

func (noteFunction) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	xr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	msg, _ := xr.Resource.GetString("spec.message")
	cm := composed.New()
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetName(xr.Resource.GetName() + "-note")
	if err := cm.SetValue("data", map[string]any{"message": msg}); err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	err = response.SetDesiredComposedResources(rsp, map[resource.Name]*resource.DesiredComposed{
		"note": {Resource: cm, Ready: resource.ReadyTrue},
	})
	if err != nil {
		response.Fatal(rsp, err)
	}
	return rsp, nil
}

func TestIntegrationCore(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane and Crossplane binaries (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	p, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		t.Fatalf("localplane.Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Stop() })

	dir := t.TempDir()
	reg, err := registry.Start(filepath.Join(dir, "registry"))
	if err != nil {
		t.Fatalf("registry.Start: %v", err)
	}
	t.Cleanup(func() { _ = reg.Stop() })
	ref, err := reg.Push(ctx, "test/function-note", "v0.0.1", registrytest.Package(t, functionMeta))
	if err != nil {
		t.Fatalf("push the function package: %v", err)
	}

	start := time.Now()
	core, err := Start(ctx, Options{
		Binary:     filepath.Join(os.Getenv(localplane.AssetsEnv), BinaryName),
		Kubeconfig: p.KubeconfigPath,
		Dir:        dir,
		Output:     testOutput(t),
		CABundle:   reg.CABundle,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = core.Stop() })
	t.Logf("Crossplane installed and ready in %s", time.Since(start).Round(time.Millisecond))

	kube, err := NewClient(p.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}

	// Serve the function with a certificate from Crossplane's CA, as a function process would.
	certs := filepath.Join(dir, "fn-certs")
	if err := WriteServerCerts(ctx, kube, certs); err != nil {
		t.Fatalf("WriteServerCerts: %v", err)
	}
	port, err := childproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	go func() {
		_ = function.Serve(noteFunction{}, function.Listen("tcp", addr), function.MTLSCertificates(certs), function.WithMetricsServer(""))
	}()
	// The package manager pulls the package from the registry, which core trusts through
	// CABundle, and installs it; the function's runtime records itself on the revision.
	fn := &pkgv1.Function{ObjectMeta: metav1.ObjectMeta{Name: "function-note"}}
	fn.Spec.Package = ref.String()
	if err := kube.Create(ctx, fn); err != nil {
		t.Fatalf("create Function: %v", err)
	}
	rt := Function(fn.Name, addr, certs)
	recorded := 0
	poll(ctx, t, "the Function to be Installed and Healthy", func(ctx context.Context) (bool, error) {
		n, err := rt.Record(ctx, kube, true)
		if err != nil {
			return false, err
		}
		recorded += n
		if err := kube.Get(ctx, client.ObjectKeyFromObject(fn), fn); err != nil {
			return false, err
		}
		return fn.GetCondition(pkgv1.TypeInstalled).Status == corev1.ConditionTrue &&
			fn.GetCondition(pkgv1.TypeHealthy).Status == corev1.ConditionTrue, nil
	})
	if recorded != 1 {
		t.Errorf("Record: recorded the runtime on %d revisions, want the one active revision", recorded)
	}
	if n, err := rt.Record(ctx, kube, true); err != nil || n != 0 {
		t.Errorf("Record again: changed %d revisions, %v; want none, it is recorded", n, err)
	}

	for _, y := range []string{xrd, composition} {
		apply(ctx, t, kube, y)
	}
	// The XRD's CRD is served once core has established it.
	xr := object(t, note)
	poll(ctx, t, "the XRD to be established", func(ctx context.Context) (bool, error) {
		err := kube.Create(ctx, xr.DeepCopy())
		return err == nil, nil
	})

	applied := time.Now()
	cm := &corev1.ConfigMap{}
	poll(ctx, t, "the Note to compose its ConfigMap and be Ready", func(ctx context.Context) (bool, error) {
		if err := kube.Get(ctx, types.NamespacedName{Namespace: "default", Name: "hello-note"}, cm); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return ready(ctx, kube, xr)
	})
	t.Logf("Note Ready %s after it was applied", time.Since(applied).Round(time.Millisecond))
	if got, want := cm.Data["message"], "composed by a function on loopback"; got != want {
		t.Errorf("composed ConfigMap data.message: got %q, want %q", got, want)
	}

	// Core drops its finalizer; garbage collection by kube-controller-manager removes the rest.
	deleted := time.Now()
	if err := kube.Delete(ctx, xr); err != nil {
		t.Fatalf("delete Note: %v", err)
	}
	poll(ctx, t, "the composed ConfigMap to be garbage collected", func(ctx context.Context) (bool, error) {
		err := kube.Get(ctx, client.ObjectKeyFromObject(cm), cm)
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	t.Logf("composed ConfigMap gone %s after the Note was deleted", time.Since(deleted).Round(time.Millisecond))

	pid := core.PID()
	if err := core.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if childproc.Running(pid, BinaryName) {
		t.Errorf("after Stop: Crossplane (pid %d) still running", pid)
	}
}

func TestStartChecksOptions(t *testing.T) {
	bin := filepath.Join(t.TempDir(), BinaryName)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason string
		o      Options
		want   string
	}{
		"NoKubeconfig": {
			reason: "Core cannot reach a management plane without a kubeconfig.",
			o:      Options{Binary: bin, Dir: t.TempDir()},
			want:   errNoKubeconfig,
		},
		"NoBinary": {
			reason: "A missing binary names the path and the command that builds it.",
			o:      Options{Binary: "/nonexistent/crossplane-core", Kubeconfig: "k", Dir: t.TempDir()},
			want:   `cannot find the Crossplane binary "/nonexistent/crossplane-core": run 'make tools': stat /nonexistent/crossplane-core: no such file or directory`,
		},
		"NoCRDs": {
			reason: "A binary without its CRDs beside it names where they were looked for.",
			o:      Options{Binary: bin, Kubeconfig: "k", Dir: t.TempDir()},
			want:   "cannot find Crossplane's CRDs in " + filepath.Join(filepath.Dir(bin), CRDsDirName) + ": run 'make tools'",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Start(context.Background(), tc.o)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("%s\nStart: got error %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

// object parses a YAML manifest.
func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatalf("parse manifest: %v", err)
	}
	return u
}

// apply creates the object a YAML manifest describes.
func apply(ctx context.Context, t *testing.T, kube client.Client, y string) {
	t.Helper()
	u := object(t, y)
	if err := kube.Create(ctx, u); err != nil {
		t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// ready reports whether u has the condition Ready=True.
func ready(ctx context.Context, kube client.Client, u *unstructured.Unstructured) (bool, error) {
	if err := kube.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		return false, err
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" && m["status"] == "True" {
			return true, nil
		}
	}
	return false, nil
}

// poll waits for cond, failing the test with what it waited for.
func poll(ctx context.Context, t *testing.T, what string, cond wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, errors.Cause(err))
	}
}

// testOutput sends process logs to the test log with -v, else discards them.
func testOutput(t *testing.T) io.Writer {
	if !testing.Verbose() {
		return nil
	}
	return &testWriter{t: t}
}

// testWriter writes to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}
