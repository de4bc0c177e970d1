/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package upbound checks Capstan's Upbound project files against up-sdk-go's own types. It is a
// module of its own because up-sdk-go/apis v1.16.0, the version the module proxy serves, is
// built on crossplane-runtime v2.1 and does not build beside the runtime v2.4 Capstan runs on.
package upbound

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	spacesv1beta1 "github.com/upbound/up-sdk-go/apis/spaces/v1beta1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// TestE2ETestsCrossplaneSpec decodes spec.crossplane of every E2ETest under tests/ into
// up-sdk-go's spaces/v1beta1 CrossplaneSpec, refusing a field that type does not have, as
// Upbound does when it makes the test's control plane.
func TestE2ETestsCrossplaneSpec(t *testing.T) {
	files, err := filepath.Glob("../../../tests/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // the project's test files.
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Kind string `json:"kind"`
			Spec struct {
				Crossplane map[string]any `json:"crossplane"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if doc.Kind != "E2ETest" {
			continue
		}
		j, err := yaml.Marshal(doc.Spec.Crossplane)
		if err != nil {
			t.Fatal(err)
		}
		if j, err = yaml.YAMLToJSON(j); err != nil {
			t.Fatal(err)
		}
		spec := spacesv1beta1.CrossplaneSpec{}
		strict, err := kjson.UnmarshalStrict(j, &spec, kjson.DisallowUnknownFields)
		if err != nil || len(strict) > 0 {
			t.Errorf("%s: spec.crossplane is not an up-sdk-go CrossplaneSpec: %v %v", f, err, strict)
		}
		if v := spec.Version; v != nil && strings.HasPrefix(*v, "v") {
			t.Errorf("%s: spec.crossplane.version %q: Upbound wants no leading v", f, *v)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no E2ETest under tests/: this test proves nothing")
	}
	t.Logf("%d E2ETests' spec.crossplane decode as up-sdk-go's CrossplaneSpec", checked)
}
