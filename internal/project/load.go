/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Tests are the tests of a project, each with the file it came from.
type Tests struct {
	Composition []Test[CompositionTest]
	E2E         []Test[E2ETest]
}

// Test is one test and its file, relative to the project root.
type Test[T any] struct {
	File string
	Test T
}

// LoadTests reads every YAML file under dir (relative to root) and returns its tests, sorted by
// file. A file that is not a well-formed CompositionTest or E2ETest fails the whole load, naming
// the file and the field, so nothing runs on a half-read suite.
func LoadTests(root, dir string) (*Tests, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return nil, errors.Wrapf(err, "cannot read the tests in %s", dir)
	}
	slices.Sort(files)
	t := &Tests{}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		if err := t.load(root, rel); err != nil {
			return nil, errors.Wrap(err, rel)
		}
	}
	return t, nil
}

func (t *Tests) load(root, file string) error {
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return err
	}
	docs, err := splitDocuments(b)
	if err != nil {
		return err
	}
	if len(docs) == 0 {
		return errors.New("holds no test")
	}
	for i, doc := range docs {
		at := func(err error) error {
			if len(docs) == 1 {
				return err
			}
			return errors.Wrapf(err, "document %d", i+1)
		}
		h := &Header{}
		if err := yaml.Unmarshal(doc, h); err != nil {
			return at(err)
		}
		if h.APIVersion != APIVersion {
			return at(errors.Errorf("apiVersion: want %s, got %q", APIVersion, h.APIVersion))
		}
		switch h.Kind {
		case KindCompositionTest:
			ct := CompositionTest{}
			if err := decodeStrict(doc, &ct); err != nil {
				return at(err)
			}
			if err := ct.validate(root); err != nil {
				return at(err)
			}
			t.Composition = append(t.Composition, Test[CompositionTest]{File: file, Test: ct})
		case KindE2ETest:
			et := E2ETest{}
			if err := decodeStrict(doc, &et); err != nil {
				return at(err)
			}
			if err := et.validate(); err != nil {
				return at(err)
			}
			t.E2E = append(t.E2E, Test[E2ETest]{File: file, Test: et})
		default:
			return at(errors.Errorf("kind: want %s or %s, got %q", KindCompositionTest, KindE2ETest, h.Kind))
		}
	}
	return nil
}

// decodeStrict decodes a YAML document into v, refusing fields v does not have.
func decodeStrict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		msgs := make([]string, 0, len(strict))
		for _, e := range strict {
			msgs = append(msgs, e.Error())
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

func (ct *CompositionTest) validate(root string) error {
	s := ct.Spec
	switch {
	case ct.Metadata.Name == "":
		return errors.New("metadata.name: required")
	case (s.XR == nil) == (s.XRPath == ""):
		return errors.New("spec: set exactly one of xr and xrPath")
	case s.XRDPath == "":
		return errors.New("spec.xrdPath: required")
	case s.CompositionPath == "":
		return errors.New("spec.compositionPath: required")
	case len(s.AssertResources) == 0 && ct.Metadata.Annotations[ExpectedErrorAnnotation] == "":
		return errors.Errorf("spec.assertResources: required, unless the annotation %s says the render must fail", ExpectedErrorAnnotation)
	case s.Validate:
		return errors.New("spec.validate: not supported here; make validate checks the rendered examples against their schemas")
	}
	for _, f := range []struct{ field, path string }{{"spec.xrPath", s.XRPath}, {"spec.xrdPath", s.XRDPath}, {"spec.compositionPath", s.CompositionPath}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, f.path)); err != nil {
			return errors.Errorf("%s: %q does not exist in the project", f.field, f.path)
		}
	}
	if err := allIdentified("spec.assertResources", s.AssertResources); err != nil {
		return err
	}
	if err := allIdentified("spec.observedResources", s.ObservedResources); err != nil {
		return err
	}
	if err := allIdentified("spec.extraResources", s.ExtraResources); err != nil {
		return err
	}
	if s.XR != nil {
		return errors.Wrap(identified(s.XR), "spec.xr")
	}
	return nil
}

func (et *E2ETest) validate() error {
	s := et.Spec
	switch {
	case et.Metadata.Name == "":
		return errors.New("metadata.name: required")
	case len(s.Manifests) == 0:
		return errors.New("spec.manifests: required")
	case s.TimeoutSeconds <= 0:
		return errors.New("spec.timeoutSeconds: required, a number of seconds")
	}
	if err := allIdentified("spec.manifests", s.Manifests); err != nil {
		return err
	}
	return allIdentified("spec.extraResources", s.ExtraResources)
}

// allIdentified checks every object of the list at field names what it is.
func allIdentified(field string, objs []map[string]any) error {
	for i, o := range objs {
		if err := identified(o); err != nil {
			return errors.Wrapf(err, "%s[%d]", field, i)
		}
	}
	return nil
}

// identified checks an object names its apiVersion, kind and name.
func identified(o map[string]any) error {
	md, _ := o["metadata"].(map[string]any)
	for _, f := range []struct {
		field string
		value any
	}{{"apiVersion", o["apiVersion"]}, {"kind", o["kind"]}, {"metadata.name", md["name"]}} {
		if s, _ := f.value.(string); s == "" {
			return errors.Errorf("%s: required", f.field)
		}
	}
	return nil
}

// splitDocuments returns the non-empty YAML documents of b.
func splitDocuments(b []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, doc)
		}
	}
}
