/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/project"
)

const root = "../.."

// TestIntegrationCompositionTests runs every CompositionTest under tests/ as up test run would,
// with the crossplane CLI and core `make render` uses and the function built from this
// repository: each must render what it asserts, or fail as it expects to.
func TestIntegrationCompositionTests(t *testing.T) {
	if testing.Short() {
		t.Skip("renders with the crossplane CLI and core binaries")
	}
	bin := filepath.Join(root, ".cache", "tools", "bin")
	for _, tool := range []string{"crossplane", "crossplane-core"} {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			t.Fatalf("%v: run make tools first", err)
		}
	}
	tests, err := project.LoadTests(root, project.TestsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tests.Composition) == 0 {
		t.Fatal("no CompositionTests under tests/: this test proves nothing")
	}
	r := project.Renderer{
		Root:                root,
		CLI:                 filepath.Join(bin, "crossplane"),
		Core:                filepath.Join(bin, "crossplane-core"),
		FunctionsFile:       filepath.Join(root, "functions/clusterclaim/testdata/render/functions.yaml"),
		FunctionAnnotations: []string{"render.crossplane.io/runtime-development-target=" + serveFunction(t)},
	}
	for _, ct := range tests.Composition {
		t.Run(ct.Test.Metadata.Name, func(t *testing.T) {
			if err := r.Run(context.Background(), ct.Test); err != nil {
				t.Errorf("%s: %v", ct.File, err)
			}
		})
	}
}

// serveFunction builds the function and serves it without TLS on a loopback port, as
// crossplane render's development runtime expects; it returns the address.
func serveFunction(t *testing.T) string {
	t.Helper()
	fn := filepath.Join(t.TempDir(), "function")
	build := exec.Command("go", "build", "-o", fn, "./functions/clusterclaim") //nolint:gosec // this repository's function.
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the function: %v\n%s", err, out)
	}
	port, err := childproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p, err := childproc.Start("function", exec.Command(fn, "--insecure", "--address="+addr), os.Stderr) //nolint:gosec // the binary built above.
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	if err := p.WaitReady(context.Background(), "the function to serve", 30*time.Second, childproc.TCPReady(addr)); err != nil {
		t.Fatal(err)
	}
	return addr
}
