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
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// fileFlag is a -f argument in a command line, and what it names: comma-separated paths.
var fileFlag = regexp.MustCompile(`(?:^|\s)-f\s+(\S+)`)

// TestInstallManifests keeps the README's "Install on a cluster" true: every file its commands
// name exists; every manifest it applies is under cluster/ or examples/ and the API server (with
// Crossplane's CRDs) accepts it in a server-side dry run; every Crossplane flag in the Helm
// values is one core v2.4 has.
func TestInstallManifests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Install on a cluster\n")
	if !ok {
		t.Fatal(`README.md has no "## Install on a cluster" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	section = strings.ReplaceAll(section, "\\\n", " ") // one line per shell command

	var applied, values int
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		for _, m := range fileFlag.FindAllStringSubmatch(line, -1) {
			for _, path := range strings.Split(m[1], ",") {
				full := filepath.Join(root, path)
				if _, err := os.Stat(full); err != nil {
					t.Errorf("README runs %q: %s does not exist", line, path)
					continue
				}
				switch {
				case strings.HasPrefix(line, "kubectl apply"):
					if !strings.HasPrefix(path, "cluster/") && !strings.HasPrefix(path, "examples/") {
						t.Errorf("README applies %s: manifests live under cluster/ or examples/", path)
					}
					out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", env.stack.Kubeconfig, //nolint:gosec // the pinned kubectl on the README's own paths.
						"apply", "--dry-run=server", "-f", full).CombinedOutput()
					if err != nil {
						t.Errorf("kubectl apply --dry-run=server -f %s: %v\n%s", path, err, out)
					}
					applied++
				case strings.HasPrefix(line, "helm install"):
					checkCoreFlags(ctx, t, full)
					values++
				}
			}
		}
	}
	if applied == 0 || values == 0 {
		t.Errorf("README's install applies %d manifests and %d Helm values files: want some of each", applied, values)
	}
}

// checkCoreFlags checks that every argument a Helm values file passes to Crossplane is a flag of
// `crossplane core start` at the version the stack runs.
func checkCoreFlags(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Args []string `json:"args"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	help, err := exec.CommandContext(ctx, filepath.Join(root, ".cache", "tools", "bin", "crossplane-core"), "core", "start", "--help").CombinedOutput() //nolint:gosec // the pinned Crossplane.
	if err != nil {
		t.Fatalf("crossplane core start --help: %v\n%s", err, help)
	}
	for _, a := range v.Args {
		flag, _, _ := strings.Cut(a, "=")
		if !strings.Contains(string(help), flag+"=") {
			t.Errorf("%s passes %s: crossplane core start has no %s", path, a, flag)
		}
	}
}
