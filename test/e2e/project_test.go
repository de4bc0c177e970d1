//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-dev/capstan/internal/project"
)

// TestProjectE2ETests runs the project's E2ETests (tests/e2e-*) as a platform team would, with
// `capstan test` on the running stack: each must PASS, its manifests Ready and then deleted.
func TestProjectE2ETests(t *testing.T) {
	// NOTE: runs beside the other parallel test, after every serial one: both touch only their
	// own claims (and only this one the simulated vCenter).
	t.Parallel()
	tests, err := project.LoadTests(root, project.TestsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tests.E2E) == 0 {
		t.Fatal("no E2ETests under tests/: this test proves nothing")
	}
	capstan := filepath.Join(t.TempDir(), "capstan")
	build := exec.Command("go", "build", "-o", capstan, "./cmd/capstan") //nolint:gosec // this repository.s CLI, into a temporary directory.
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build capstan: %v\n%s", err, out)
	}
	cmd := exec.Command(capstan, "test", "--kubeconfig", env.stack.Kubeconfig, "--root", root, project.TestsDir) //nolint:gosec // the binary built above.
	out, err := cmd.CombinedOutput()
	t.Logf("capstan test:\n%s", out)
	if err != nil {
		t.Fatalf("capstan test: %v", err)
	}
	for _, et := range tests.E2E {
		if !strings.Contains(string(out), "PASS "+et.Test.Metadata.Name+":") {
			t.Errorf("capstan test did not report %s as passed", et.Test.Metadata.Name)
		}
	}
}
