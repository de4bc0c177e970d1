/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWritePrivate: the kubeconfig lands where asked, in directories that did not exist, readable
// by its owner only.
func TestWritePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "_output", "basic.kubeconfig")
	if err := writePrivate(path, []byte("kubeconfig")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode: got %o, want 600", got)
	}
}
