/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// The crossplane CLI (v2.5.0) and core (v2.4.0) that `make tools` builds.
const (
	crossplaneCLI  = "../../../.cache/tools/bin/crossplane"
	crossplaneCore = "../../../.cache/tools/bin/crossplane-core"
	renderDir      = "../testdata/render"
)

// renderTime masks the timestamps crossplane render writes (condition transition times).
var renderTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`)

// serve serves the function on a loopback port without TLS, as crossplane render's Development
// runtime expects, and returns its address.
func serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fnv1.RegisterFunctionRunnerServiceServer(srv, &Function{log: logging.NewNopLogger()})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// render runs crossplane composition render on the claim with the real XR reconciler (core
// v2.4.0 through --crossplane-binary) against the function at addr, with extra flags.
func render(t *testing.T, addr, claim string, flags ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	//nolint:gosec // Fixed tool paths and test fixtures.
	cmd := exec.CommandContext(ctx, crossplaneCLI, "composition", "render", claim, compositionFile,
		filepath.Join(renderDir, "functions.yaml"),
		"--crossplane-binary="+crossplaneCore,
		"--xrd="+xrdFile,
		"--required-resources="+providerConfigFile,
		"--required-resources="+sharedClassFile,
		"--required-resources="+vsphereConfigFile,
		"--function-annotations=render.crossplane.io/runtime-development-target="+addr,
		"--timeout=1m")
	cmd.Args = append(cmd.Args, flags...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestIntegrationRender renders every example with the real crossplane CLI, as `make render` does,
// and compares the output with testdata/render/<example>.yaml (-update rewrites them). It also
// renders claims that cannot work and wants the CLI to fail with the function's message: render
// gets the objects claims name from --required-resources, as core gets them from the cluster.
func TestIntegrationRender(t *testing.T) {
	if testing.Short() {
		t.Skip("renders with the crossplane CLI and core binaries")
	}
	for _, bin := range []string{crossplaneCLI, crossplaneCore} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%v: run make tools first", err)
		}
	}
	addr := serve(t)

	for _, path := range examples(t) {
		t.Run(baseName(path), func(t *testing.T) {
			out, stderr, err := render(t, addr, path)
			if err != nil {
				t.Fatalf("crossplane composition render %s: %v\n%s", path, err, stderr)
			}
			got := renderTime.ReplaceAllString(out, "TIMESTAMP")
			want := filepath.Join(renderDir, baseName(path)+".yaml")
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil { //nolint:gosec // Test fixtures.
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test -run TestIntegrationRender -update to write it)", err)
			}
			if diff := cmp.Diff(string(b), got); diff != "" {
				t.Errorf("crossplane composition render %s: -want, +got:\n%s", path, diff)
			}
			again, _, err := render(t, addr, path)
			if err != nil || renderTime.ReplaceAllString(again, "TIMESTAMP") != got {
				t.Errorf("rendering %s twice gave different output (%v)", path, err)
			}
		})
	}

	// The README's render of a claim whose class Cluster API has reconciled shows its Cluster.
	t.Run("observed-class", func(t *testing.T) {
		claim := filepath.Join(filepath.Dir(examplesGlob), "basic.yaml")
		out, stderr, err := render(t, addr, claim, "--observed-resources="+filepath.Join(renderDir, "observed-class.yaml"))
		if err != nil {
			t.Fatalf("crossplane composition render %s: %v\n%s", claim, err, stderr)
		}
		if !strings.Contains(out, "\nkind: Cluster\n") {
			t.Errorf("a render with the class reconciled composes no Cluster:\n%s", out)
		}
	})

	for file, want := range map[string]string{
		"invalid.yaml":       `spec.workers[1].size: unknown size "huge" (allowed: small, medium, large)`,
		"missing-class.yaml": `spec.workers[0].failureDomain: "zone-a" is not a failure domain of ClusterProviderConfig "default" (it has: fd-a, fd-b, fd-c); spec.classRef: ClusterClass capstan-platform/capstan-gpu does not exist`,
	} {
		t.Run(file, func(t *testing.T) {
			_, stderr, err := render(t, addr, filepath.Join("../testdata", "cases", file))
			if err == nil || !strings.Contains(stderr, want) {
				t.Errorf("render of a claim that cannot work: want failure containing %q, got err %v, stderr:\n%s", want, err, stderr)
			}
		})
	}
}
