//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package e2e files ClusterClaims on the whole of Capstan running on this machine: a local
// management plane, the real Crossplane core, the ClusterClaim function and the provider manager
// (with the bundled Cluster API controllers), all from this repository's binaries.
//
// Run it with `make e2e` (or `go test -tags e2e ./test/e2e`, with KUBEBUILDER_ASSETS set).
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/stack"
)

// root is the repository root, relative to this package.
const root = "../.."

// kubectl is the kubectl `make tools` builds at the pinned Kubernetes version.
var kubectl = filepath.Join(root, ".cache", "tools", "bin", "kubectl")

var (
	keepLogs     = flag.Bool("e2e.keep-logs", false, "Keep the stack's logs (their directory is printed) rather than removing them.")
	provider     = flag.String("e2e.provider", "", "Run this provider binary rather than one built from ./cmd/provider.")
	providerArgs = flag.String("e2e.provider-args", "", "Extra flags for the provider, space-separated (e.g. --debug).")
	auditLog     = flag.String("e2e.audit-log", "", "Have kube-apiserver log every request's metadata to this file (an audit log), for the scale test's count of requests by client.")
)

// env is the running stack every test shares.
var env struct {
	stack *stack.Stack
	kube  client.Client
	logs  string
	// bin holds the binaries built from this repository, the capstan CLI among them.
	bin string
}

func TestMain(m *testing.M) {
	flag.Parse()
	ctrllog.SetLogger(logr.Discard())
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := os.Stat(kubectl); err != nil {
		fmt.Fprintf(os.Stderr, "kubectl is missing (%v): run make tools\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "capstan-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.logs = filepath.Join(dir, "logs")
	defer func() {
		if *keepLogs {
			fmt.Printf("stack logs kept in %s\n", env.logs)
			return
		}
		_ = os.RemoveAll(dir)
	}()

	bin := filepath.Join(dir, "bin")
	env.bin = bin
	start := time.Now()
	if err := build(bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("built the provider and function in %s\n", time.Since(start).Round(time.Second))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start = time.Now()
	providerBinary := filepath.Join(bin, "provider")
	if *provider != "" {
		providerBinary = *provider
	}
	s, err := stack.Up(ctx, stack.Options{
		Dir:              dir,
		Packages:         filepath.Join(root, "_output", "xpkg"),
		FunctionBinary:   filepath.Join(bin, "function-clusterclaim"),
		ProviderBinary:   providerBinary,
		CloudBinary:      filepath.Join(bin, "inmemory-cloud"),
		VSphereSimBinary: filepath.Join(bin, "vsphere-sim"),
		ProviderArgs:     strings.Fields(*providerArgs),
		APIServerFlags:   auditFlags(dir),
		Progress:         func(step string) { fmt.Printf("starting %s\n", step) },
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the stack: %v\n", err)
		printLogs()
		return 1
	}
	fmt.Printf("stack up in %s\n", time.Since(start).Round(100*time.Millisecond))
	env.stack, env.kube = s, s.Client

	code := m.Run()
	if code != 0 {
		printLogs()
	}
	if err := s.Down(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot stop the stack: %v\n", err)
		return 1
	}
	return code
}

// build compiles the provider and the function from this repository.
func build(bin string) error {
	for out, pkg := range map[string]string{"provider": "./cmd/provider", "function-clusterclaim": "./functions/clusterclaim", "inmemory-cloud": "./cmd/inmemory-cloud", "vsphere-sim": "./cmd/vsphere-sim", "capstan": "./cmd/capstan"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, out), pkg) //nolint:gosec // fixed packages of this repository.
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return errors.Errorf("cannot build %s: %v\n%s", pkg, err, b)
		}
	}
	return nil
}

// printLogs shows the end of each component's log, to explain a failure.
func printLogs() {
	files, _ := filepath.Glob(filepath.Join(env.logs, "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(string(bytes.TrimSpace(b)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		fmt.Fprintf(os.Stderr, "\n==> %s (last %d lines) <==\n%s\n", f, len(lines), strings.Join(lines, "\n"))
	}
}
