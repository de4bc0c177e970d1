/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-dev/capstan/internal/stack"
)

// TestPlane: --kubeconfig wins; else a recorded local stack, even with KUBECONFIG exported; else
// kubectl's default; else a clear error.
func TestPlane(t *testing.T) {
	dir := t.TempDir()
	exported := filepath.Join(dir, "exported.kubeconfig")
	if err := os.WriteFile(exported, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withStack := filepath.Join(dir, "stack")
	if err := os.MkdirAll(withStack, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := stack.WriteState(withStack, stack.State{Kubeconfig: "/plane/admin.kubeconfig"}); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason     string
		flag       string
		stateDir   string
		kubeconfig string
		want       string
		wantErr    bool
	}{
		"Flag": {
			reason: "An explicit --kubeconfig wins over everything.",
			flag:   "/given", stateDir: withStack, kubeconfig: exported,
			want: "--kubeconfig (/given)",
		},
		"LocalStackOverExportedKubeconfig": {
			reason:   "A running local stack wins over an exported KUBECONFIG that may point anywhere.",
			stateDir: withStack, kubeconfig: exported,
			want: "the local stack (/plane/admin.kubeconfig)",
		},
		"KubectlDefault": {
			reason:   "Without a flag or a local stack, the CLI reads what kubectl would.",
			stateDir: filepath.Join(dir, "none"), kubeconfig: exported,
			want: "kubectl's default (" + exported + ")",
		},
		"Nothing": {
			reason:   "Without any, the error says what to do.",
			stateDir: filepath.Join(dir, "none"), kubeconfig: filepath.Join(dir, "missing"),
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.kubeconfig)
			p, err := kubeFlags{Kubeconfig: tc.flag}.plane(globals{StateDir: tc.stateDir})
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nplane(...): error %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, p.String()); diff != "" {
				t.Errorf("%s\nplane(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
