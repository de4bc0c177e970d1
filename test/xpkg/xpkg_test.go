/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package xpkg checks the Crossplane packages `make build` writes, as the package manager and the
// container runtime will read them.
package xpkg

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// xpkgDir is where `make build` writes the packages.
const xpkgDir = "../../_output/xpkg"

// labelLayer prefixes the image config labels with which an xpkg says what each layer holds:
// io.crossplane.xpkg:<layer digest> = base (package.yaml: metadata and CRDs) or upbound (the
// examples, in .up/examples.yaml).
const (
	labelLayer   = "io.crossplane.xpkg:"
	examplesFile = ".up/examples.yaml"
)

// TestIntegrationPackages opens every runtime package make build writes: its package layer holds
// the package metadata, its CRDs and its examples; its runtime image is a non-root linux image
// for its architecture whose entrypoint is the binary, and the linux/amd64 binary runs.
func TestIntegrationPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the packages make build writes")
	}
	cases := map[string]struct {
		kind    string
		binary  string
		crds    int
		example string
	}{
		"provider-capstan":      {kind: "Provider", binary: "provider", crds: 6, example: "kind: ClusterProviderConfig"},
		"function-clusterclaim": {kind: "Function", binary: "function", crds: 1, example: "kind: ClusterClaim"},
	}
	for pkg, tc := range cases {
		for _, arch := range []string{"amd64", "arm64"} {
			t.Run(pkg+"-"+arch, func(t *testing.T) {
				path := filepath.Join(xpkgDir, pkg+"-"+arch+".xpkg")
				img, err := tarball.ImageFromPath(path, nil)
				if err != nil {
					t.Fatalf("%v: run make build first", err)
				}
				cfg, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if cfg.OS != "linux" || cfg.Architecture != arch {
					t.Errorf("platform: want linux/%s, got %s/%s", arch, cfg.OS, cfg.Architecture)
				}
				if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/"+tc.binary {
					t.Errorf("entrypoint: want /%s, got %q", tc.binary, got)
				}
				if cfg.Config.User != "65532:65532" {
					t.Errorf("user: want the non-root 65532:65532, got %q", cfg.Config.User)
				}
				if got := cfg.Config.Labels["org.opencontainers.image.source"]; got != "github.com/capstan-dev/capstan" {
					t.Errorf("label org.opencontainers.image.source: got %q", got)
				}

				layers := byRole(t, img, cfg)
				meta, crds := packageObjects(t, layers["base"])
				if meta.GetKind() != tc.kind || meta.GetName() != pkg {
					t.Errorf("package metadata: want %s %s, got %s %s", tc.kind, pkg, meta.GetKind(), meta.GetName())
				}
				if crds != tc.crds {
					t.Errorf("package layer: want %d CRDs, got %d", tc.crds, crds)
				}
				if examples := layerFile(t, layers["upbound"], examplesFile); !bytes.Contains(examples, []byte(tc.example)) {
					t.Errorf("%s: want an example with %q", examplesFile, tc.example)
				}

				bin := layerFile(t, layers["runtime"], tc.binary)
				if arch == "amd64" {
					runHelp(t, bin)
				}
			})
		}
	}
}

// byRole returns the layers of an xpkg by what they hold: base, upbound (examples), or runtime
// (the image).
func byRole(t *testing.T, img v1.Image, cfg *v1.ConfigFile) map[string]v1.Layer {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]v1.Layer{}
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		role, ok := cfg.Config.Labels[labelLayer+d.String()]
		if !ok {
			role = "runtime"
		}
		if _, dup := out[role]; dup && role == "runtime" {
			t.Fatalf("more than one runtime layer: the image should be one layer, its binary")
		}
		out[role] = l
	}
	for _, role := range []string{"base", "upbound", "runtime"} {
		if out[role] == nil {
			t.Fatalf("no %s layer", role)
		}
	}
	return out
}

// packageObjects reads package.yaml from the package layer: its metadata object and how many
// CRDs follow it.
func packageObjects(t *testing.T, l v1.Layer) (*unstructured.Unstructured, int) {
	t.Helper()
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(layerFile(t, l, "package.yaml")), 4096)
	var meta *unstructured.Unstructured
	crds := 0
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("package.yaml: %v", err)
		}
		switch {
		case u.Object == nil:
		case meta == nil:
			meta = u
		case u.GetKind() == "CustomResourceDefinition":
			crds++
		}
	}
	if meta == nil {
		t.Fatal("package.yaml holds no package metadata")
	}
	return meta, crds
}

// layerFile returns the content of the file at path in a layer.
func layerFile(t *testing.T, l v1.Layer, path string) []byte {
	t.Helper()
	var found []byte
	walk(t, l, func(h *tar.Header, r io.Reader) {
		if strings.TrimPrefix(h.Name, "/") == path {
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no %s in the layer", path)
	}
	return found
}

func walk(t *testing.T, l v1.Layer, fn func(*tar.Header, io.Reader)) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(h, tr)
	}
}

// runHelp runs the binary with --help and wants it to print its usage.
func runHelp(t *testing.T, bin []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(path, bin, 0o700); err != nil { //nolint:gosec // An executable for this test.
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--help").CombinedOutput() //nolint:gosec // The binary this test extracted.
	if err != nil || !strings.Contains(string(out), "Usage:") {
		t.Errorf("%s --help: %v\n%s", path, err, out)
	}
}
