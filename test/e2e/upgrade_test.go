//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/capstan-dev/capstan/cluster/install"
	"github.com/capstan-dev/capstan/internal/stack"
)

// crossplaneCLI is the crossplane CLI `make tools` builds, which builds packages.
var crossplaneCLI = filepath.Join(root, ".cache", "tools", "bin", "crossplane")

// upgradeCapstan releases the configuration package at version with v added to the Kubernetes
// versions its Composition allows, built by the crossplane CLI from package/configuration as
// make build builds it, and moves the Configuration to it, as a platform team would. It returns
// once the package manager has made the new Composition and every package is Healthy again.
func upgradeCapstan(ctx context.Context, t *testing.T, version, v string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(root, "package", "configuration")
	for _, f := range []string{"crossplane.yaml", "xrd.yaml", "composition.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "composition.yaml" {
			b = allowing(t, b, v)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pkg := filepath.Join(t.TempDir(), stack.ConfigurationPackage+".xpkg")
	cmd := exec.CommandContext(ctx, crossplaneCLI, "xpkg", "build", "--package-root="+dir, "--package-file="+pkg) //nolint:gosec // the CLI make tools builds.
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crossplane xpkg build: %v\n%s", err, out)
	}
	if err := env.stack.Publish(ctx, stack.ConfigurationPackage, version, pkg); err != nil {
		t.Fatal(err)
	}

	conf := &pkgv1.Configuration{}
	if err := env.kube.Get(ctx, client.ObjectKey{Name: install.ConfigurationName}, conf); err != nil {
		t.Fatal(err)
	}
	orig := conf.DeepCopy()
	conf.Spec.Package = stack.Source + "/" + stack.ConfigurationPackage + ":" + version
	if err := env.kube.Patch(ctx, conf, client.MergeFrom(orig)); err != nil {
		t.Fatalf("move the Configuration to %s: %v", version, err)
	}
	poll(ctx, t, "the package manager to install "+version, 2*time.Minute, func(ctx context.Context) (bool, error) {
		return slices.Contains(allowedVersions(ctx, t), v), nil
	})
}

// allowing returns a Composition manifest with v added to its function input's versions.
func allowing(t *testing.T, composition []byte, v string) []byte {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(composition, &u.Object); err != nil {
		t.Fatal(err)
	}
	pipeline, _, _ := unstructured.NestedSlice(u.Object, "spec", "pipeline")
	step := pipeline[0].(map[string]any)
	versions, _, _ := unstructured.NestedStringSlice(step, "input", "versions")
	if err := unstructured.SetNestedStringSlice(step, append(versions, v), "input", "versions"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedSlice(u.Object, pipeline, "spec", "pipeline"); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allowedVersions are the Kubernetes versions the installed Composition allows.
func allowedVersions(ctx context.Context, t *testing.T) []string {
	t.Helper()
	comp := &unstructured.Unstructured{}
	comp.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "Composition"})
	if err := env.kube.Get(ctx, client.ObjectKey{Name: composition}, comp); err != nil {
		t.Fatalf("get Composition: %v", err)
	}
	pipeline, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
	if len(pipeline) == 0 {
		t.Fatalf("Composition %s has no pipeline", composition)
	}
	versions, _, _ := unstructured.NestedStringSlice(pipeline[0].(map[string]any), "input", "versions")
	return versions
}

// compositionRevision is the name of the CompositionRevision a claim runs.
func compositionRevision(claim *unstructured.Unstructured) string {
	n, _, _ := unstructured.NestedString(claim.Object, "spec", "crossplane", "compositionRevisionRef", "name")
	return n
}
