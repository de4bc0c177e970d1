/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func examples(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(examplesGlob)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples under %s: %v", examplesGlob, err)
	}
	return paths
}

// TestGolden compares the whole response for every example claim, and for every case under
// testdata/cases (a claim followed by observed resources), with its golden file.
func TestGolden(t *testing.T) {
	input := compositionInput(t)
	cases, err := filepath.Glob(casesGlob)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(examples(t), cases...) {
		name := baseName(path)
		if filepath.Dir(path) != filepath.Dir(casesGlob) {
			name = "example-" + name
		}
		t.Run(name, func(t *testing.T) {
			docs := readDocs(t, path)
			got := asYAML(t, run(t, newRequest(t, input, docs[0], docs[1:]...)))
			golden := filepath.Join(goldenDir, name+".yaml")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil { //nolint:gosec // Test fixtures.
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s: -want (golden), +got:\n%s", path, diff)
			}
		})
	}
}
