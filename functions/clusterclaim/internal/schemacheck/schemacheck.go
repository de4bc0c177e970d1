/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package schemacheck validates objects against CustomResourceDefinitions the way kube-apiserver
// does on create: unknown fields, defaults, OpenAPI schema, list types and CEL rules. Tests use it
// to prove composed objects and claims would be accepted, without running an API server.
package schemacheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errRead       = "cannot read %s"
	errDecode     = "cannot decode a document of %s"
	errConvert    = "cannot convert the schema of %s version %s"
	errStructural = "schema of %s version %s is not structural"
	errValidator  = "cannot build the schema validator of %s version %s"
	errNoSchema   = "no CRD serves this kind"
)

// A Validator validates objects against the CRD versions it was built from.
type Validator struct {
	versions map[schema.GroupVersionKind]*crdVersion
}

type crdVersion struct {
	structural *structuralschema.Structural
	schema     validation.SchemaValidator
	cel        *cel.Validator
}

// ReadCRDs reads every CustomResourceDefinition in the supplied multi-document YAML files and
// skips documents of other kinds.
func ReadCRDs(paths ...string) ([]*extv1.CustomResourceDefinition, error) {
	var crds []*extv1.CustomResourceDefinition
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, errors.Wrapf(err, errRead, p)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, errors.Wrapf(err, errRead, p)
			}
			tm := struct {
				Kind string `json:"kind"`
			}{}
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				return nil, errors.Wrapf(err, errDecode, p)
			}
			if tm.Kind != "CustomResourceDefinition" {
				continue
			}
			crd := &extv1.CustomResourceDefinition{}
			if err := yaml.Unmarshal(doc, crd); err != nil {
				return nil, errors.Wrapf(err, errDecode, p)
			}
			crds = append(crds, crd)
		}
	}
	return crds, nil
}

// New returns a Validator for every served version of the supplied CRDs.
func New(crds ...*extv1.CustomResourceDefinition) (*Validator, error) {
	v := &Validator{versions: map[schema.GroupVersionKind]*crdVersion{}}
	for _, crd := range crds {
		for _, ver := range crd.Spec.Versions {
			if !ver.Served || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				continue
			}
			in := &apiextensions.JSONSchemaProps{}
			if err := extv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, in, nil); err != nil {
				return nil, errors.Wrapf(err, errConvert, crd.Name, ver.Name)
			}
			s, err := structuralschema.NewStructural(in)
			if err != nil {
				return nil, errors.Wrapf(err, errStructural, crd.Name, ver.Name)
			}
			sv, _, err := validation.NewSchemaValidator(in)
			if err != nil {
				return nil, errors.Wrapf(err, errValidator, crd.Name, ver.Name)
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			v.versions[gvk] = &crdVersion{structural: s, schema: sv, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
		}
	}
	return v, nil
}

// Validate returns what kube-apiserver would refuse in obj on create, with strict field
// validation: unknown fields are errors, not silently pruned. It does not modify obj.
func (v *Validator) Validate(ctx context.Context, obj map[string]any) field.ErrorList {
	u, err := asAPIServerJSON(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	apiVersion, _ := u["apiVersion"].(string)
	kind, _ := u["kind"].(string)
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	cv, ok := v.versions[gvk]
	if !ok {
		return field.ErrorList{field.Invalid(field.NewPath("apiVersion"), gvk.String(), errNoSchema)}
	}

	var errs field.ErrorList
	unknown := pruning.PruneWithOptions(u, cv.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		errs = append(errs, field.Forbidden(field.NewPath(p), "unknown field"))
	}
	defaulting.Default(u, cv.structural)
	errs = append(errs, validation.ValidateCustomResource(nil, u, cv.schema)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, cv.structural, u)...)
	celErrs, _ := cv.cel.Validate(ctx, nil, cv.structural, u, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// asAPIServerJSON copies obj the way the API server decodes a request body: whole numbers become
// int64, which CEL's integer rules need (YAML and structpb decoding give float64).
func asAPIServerJSON(obj map[string]any) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	u := map[string]any{}
	return u, utiljson.Unmarshal(b, &u)
}
