/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project

import (
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// compositionTests are a CompositionTest per example claim and per test case of the function:
// the example (or the case's claim and observed resources) rendered with what the claims name,
// asserting what the function's golden response desires; a case the function refuses asserts
// that the render fails with its message.
func compositionTests(root string) ([]*CompositionTest, error) {
	extra, err := readObjects(root, ExtraResourceFiles...)
	if err != nil {
		return nil, err
	}
	examples, err := filepath.Glob(filepath.Join(root, ExamplesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	cases, err := filepath.Glob(filepath.Join(root, casesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []*CompositionTest
	for _, path := range append(examples, cases...) {
		rel, _ := filepath.Rel(root, path)
		ct := &CompositionTest{
			Header: Header{APIVersion: APIVersion, Kind: KindCompositionTest},
			Spec:   CompositionTestSpec{XRDPath: XRDFile, CompositionPath: CompositionFile, ExtraResources: extra, TimeoutSeconds: 60},
		}
		golden := "example-" + baseName(path)
		if filepath.Dir(rel) == casesDir {
			golden = baseName(path)
			docs, err := readObjects(root, rel)
			if err != nil {
				return nil, err
			}
			ct.Spec.XR, ct.Spec.ObservedResources = docs[0], docs[1:]
		} else {
			ct.Spec.XRPath = rel
		}
		ct.Metadata.Name = "composition-" + baseName(path)
		xr, err := readObjects(root, rel)
		if err != nil {
			return nil, err
		}
		if err := expect(root, ct, xr[0], filepath.Join(goldenDir, golden+".yaml")); err != nil {
			return nil, err
		}
		out = append(out, ct)
	}
	return out, nil
}

// response is the part of a golden RunFunctionResponse a test asserts.
type response struct {
	Desired struct {
		Composite struct {
			Resource map[string]any `json:"resource"`
		} `json:"composite"`
		Resources map[string]struct {
			Resource map[string]any `json:"resource"`
		} `json:"resources"`
	} `json:"desired"`
	Results []struct {
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"results"`
}

// expect sets what ct asserts from the golden response at path: the composed resources and the
// claim's status the function desires, or the render's failure.
func expect(root string, ct *CompositionTest, xr map[string]any, path string) error {
	docs, err := readObjects(root, path)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(docs[0])
	if err != nil {
		return err
	}
	r := &response{}
	if err := yaml.Unmarshal(b, r); err != nil {
		return errors.Wrap(err, path)
	}
	for _, res := range r.Results {
		if res.Severity == "SEVERITY_FATAL" {
			ct.Metadata.Annotations = map[string]string{ExpectedErrorAnnotation: res.Message}
			return nil
		}
	}
	for _, key := range sortedKeys(r.Desired.Resources) {
		ct.Spec.AssertResources = append(ct.Spec.AssertResources, r.Desired.Resources[key].Resource)
	}
	if status, ok := r.Desired.Composite.Resource["status"].(map[string]any); ok {
		claim := map[string]any{
			"apiVersion": xr["apiVersion"], "kind": xr["kind"],
			"metadata": map[string]any{"name": name(xr)},
			"status":   withoutConditions(status),
		}
		ct.Spec.AssertResources = append([]map[string]any{claim}, ct.Spec.AssertResources...)
	}
	return nil
}

// withoutConditions is status without its conditions, which Crossplane writes besides the
// function's and with their times.
func withoutConditions(status map[string]any) map[string]any {
	out := make(map[string]any, len(status))
	for k, v := range status {
		if k != "conditions" {
			out[k] = v
		}
	}
	return out
}
