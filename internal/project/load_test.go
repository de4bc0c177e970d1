/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-dev/capstan/internal/project"
)

// TestLoadTests reads the project's own tests, and refuses malformed ones naming file and field.
func TestLoadTests(t *testing.T) {
	tests, err := project.LoadTests(root, project.TestsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tests.Composition) < 7 || len(tests.E2E) < 2 {
		t.Errorf("tests/: %d CompositionTests and %d E2ETests, want a CompositionTest per example and case and two E2ETests", len(tests.Composition), len(tests.E2E))
	}

	const ct = "apiVersion: meta.dev.upbound.io/v1alpha1\nkind: CompositionTest\nmetadata: {name: t}\n"
	const et = "apiVersion: meta.dev.upbound.io/v1alpha1\nkind: E2ETest\nmetadata: {name: t}\n"
	const paths = "  xrdPath: package/configuration/xrd.yaml\n  compositionPath: package/configuration/composition.yaml\n"
	const manifest = "  manifests: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n"
	cases := map[string]struct {
		file string
		want string
	}{
		"UnknownField":      {file: ct + "spec:\n  xrPath: examples/clusterclaim/basic.yaml\n" + paths + "  assertResource: []\n", want: `unknown field "spec.assertResource"`},
		"MissingXR":         {file: ct + "spec:\n" + paths + "  assertResources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n", want: "spec: set exactly one of xr and xrPath"},
		"UnknownKind":       {file: "apiVersion: meta.dev.upbound.io/v1alpha1\nkind: UnitTest\nmetadata: {name: t}\n", want: `kind: want CompositionTest or E2ETest, got "UnitTest"`},
		"WrongAPIVersion":   {file: "apiVersion: v1\nkind: E2ETest\n", want: "apiVersion: want meta.dev.upbound.io/v1alpha1"},
		"MissingFile":       {file: ct + "spec:\n  xrPath: examples/nope.yaml\n" + paths + "  assertResources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n", want: `spec.xrPath: "examples/nope.yaml" does not exist`},
		"NothingAsserted":   {file: ct + "spec:\n  xrPath: examples/clusterclaim/basic.yaml\n" + paths, want: "spec.assertResources: required"},
		"NamelessAssertion": {file: ct + "spec:\n  xrPath: examples/clusterclaim/basic.yaml\n" + paths + "  assertResources: [{apiVersion: v1, kind: ConfigMap}]\n", want: "spec.assertResources[0]: metadata.name: required"},
		"E2ENoTimeout":      {file: et + "spec:\n  crossplane: {version: 2.4.0}\n" + manifest, want: "spec.timeoutSeconds: required"},
		"E2EUnknownField":   {file: et + "spec:\n  crossplane: {version: 2.4.0, channel: Rapid}\n  timeoutSeconds: 60\n" + manifest, want: `unknown field "spec.crossplane.channel"`},
		"E2EKindlessObject": {file: et + "spec:\n  timeoutSeconds: 60\n  manifests: [{apiVersion: v1, metadata: {name: c}}]\n", want: "spec.manifests[0]: kind: required"},
		"SecondDocumentBad": {file: et + "spec:\n  timeoutSeconds: 60\n" + manifest + "---\n" + et + "spec: {timeoutSeconds: 60}\n", want: "document 2: spec.manifests: required"},
		"ValidateAsked":     {file: ct + "spec:\n  xrPath: examples/clusterclaim/basic.yaml\n" + paths + "  validate: true\n  assertResources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n", want: "spec.validate: not supported here"},
		"NotYAML":           {file: "kind: [", want: "tests/bad/test.yaml"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"examples/clusterclaim/basic.yaml", "package/configuration/xrd.yaml", "package/configuration/composition.yaml"} {
				if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(filepath.Join(dir, "tests", "bad"), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "tests", "bad", "test.yaml"), []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := project.LoadTests(dir, "tests")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "tests/bad/test.yaml") {
				t.Errorf("LoadTests: %v, want an error naming tests/bad/test.yaml and containing %q", err, tc.want)
			}
		})
	}
}
