/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project

import (
	"maps"
	"slices"
)

// CrossplaneVersion is the Crossplane the E2ETests ask for: the core the local stack runs.
const CrossplaneVersion = "2.4.0"

// e2eTests are the E2ETests of the project: the basic example claim Ready on its own, and the
// shared-class example Ready on the class the platform team publishes (an extra resource).
func e2eTests(root string) ([]*E2ETest, error) {
	cases := []struct {
		name     string
		manifest string
		extra    []string
	}{
		{name: "e2e-basic", manifest: ExamplesDir + "/basic.yaml"},
		{name: "e2e-shared-class", manifest: ExamplesDir + "/shared-class.yaml", extra: []string{"examples/platform/standard-class.yaml"}},
	}
	out := make([]*E2ETest, 0, len(cases))
	for _, c := range cases {
		manifests, err := readObjects(root, c.manifest)
		if err != nil {
			return nil, err
		}
		extra, err := readObjects(root, c.extra...)
		if err != nil {
			return nil, err
		}
		out = append(out, &E2ETest{
			Header: Header{APIVersion: APIVersion, Kind: KindE2ETest, Metadata: Metadata{Name: c.name}},
			Spec: E2ETestSpec{
				Crossplane:        CrossplaneSpec{Version: CrossplaneVersion},
				DefaultConditions: []string{"Ready"},
				Manifests:         manifests,
				ExtraResources:    extra,
				TimeoutSeconds:    300,
			},
		})
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
