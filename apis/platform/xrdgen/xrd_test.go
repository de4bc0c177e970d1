/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	extvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xcrd"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
)

// committedXRD is the XRD the configuration package ships, generated from the Go types.
const committedXRD = "../../../package/configuration/xrd.yaml"

func crd(scope extv1.ResourceScope, spec, status map[string]extv1.JSONSchemaProps) *extv1.CustomResourceDefinition {
	return &extv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.org"},
		Spec: extv1.CustomResourceDefinitionSpec{
			Group: "example.org",
			Names: extv1.CustomResourceDefinitionNames{Kind: "Widget", ListKind: "WidgetList", Plural: "widgets", Singular: "widget"},
			Scope: scope,
			Versions: []extv1.CustomResourceDefinitionVersion{{
				Name: "v1alpha1", Served: true, Storage: true,
				AdditionalPrinterColumns: []extv1.CustomResourceColumnDefinition{{Name: "SIZE", Type: "string", JSONPath: ".spec.size"}},
				Schema: &extv1.CustomResourceValidation{OpenAPIV3Schema: &extv1.JSONSchemaProps{
					Type:        "object",
					Description: "A Widget.",
					Required:    []string{"spec"},
					Properties: map[string]extv1.JSONSchemaProps{
						"apiVersion": {Type: "string"},
						"kind":       {Type: "string"},
						"metadata":   {Type: "object"},
						"spec":       {Type: "object", Properties: spec},
						"status":     {Type: "object", Properties: status},
					},
				}},
				Subresources: &extv1.CustomResourceSubresources{Status: &extv1.CustomResourceSubresourceStatus{}},
			}},
		},
	}
}

func TestFromCRD(t *testing.T) {
	size := map[string]extv1.JSONSchemaProps{"size": {Type: "string"}}
	wantSchema, _ := json.Marshal(extv1.JSONSchemaProps{
		Type:        "object",
		Description: "A Widget.",
		Required:    []string{"spec"},
		Properties: map[string]extv1.JSONSchemaProps{
			"spec":   {Type: "object", Properties: size},
			"status": {Type: "object", Properties: size},
		},
	})

	type want struct {
		xrd *xv2.CompositeResourceDefinition
		err error
	}
	cases := map[string]struct {
		reason             string
		crd                *extv1.CustomResourceDefinition
		defaultComposition string
		want               want
	}{
		"Namespaced": {
			reason:             "A namespaced CRD becomes a namespaced XRD that keeps only spec and status, and the printer columns.",
			crd:                crd(extv1.NamespaceScoped, size, size),
			defaultComposition: "widgets.example.org",
			want: want{xrd: &xv2.CompositeResourceDefinition{
				TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.crossplane.io/v2", Kind: "CompositeResourceDefinition"},
				ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.org"},
				Spec: xv2.CompositeResourceDefinitionSpec{
					DefaultCompositionRef: &xv2.CompositionReference{Name: "widgets.example.org"},
					Group:                 "example.org",
					Names:                 extv1.CustomResourceDefinitionNames{Kind: "Widget", ListKind: "WidgetList", Plural: "widgets", Singular: "widget"},
					Scope:                 xv2.CompositeResourceScopeNamespaced,
					Versions: []xv2.CompositeResourceDefinitionVersion{{
						Name: "v1alpha1", Served: true, Referenceable: true,
						AdditionalPrinterColumns: []extv1.CustomResourceColumnDefinition{{Name: "SIZE", Type: "string", JSONPath: ".spec.size"}},
						Schema:                   &xv2.CompositeResourceValidation{OpenAPIV3Schema: runtime.RawExtension{Raw: wantSchema}},
					}},
				},
			}},
		},
		"ClusterScoped": {
			reason: "Only namespaced XRs exist without claims in v2; a cluster-scoped CRD is a mistake in the markers.",
			crd:    crd(extv1.ClusterScoped, size, size),
			want:   want{err: errors.New(errNotNamespaced)},
		},
		"ReservedSpecField": {
			reason: "Crossplane owns spec.crossplane and would overwrite a field of that name.",
			crd:    crd(extv1.NamespaceScoped, map[string]extv1.JSONSchemaProps{"crossplane": {Type: "object"}}, size),
			want:   want{err: errors.Errorf(errFmtReserved, "v1alpha1", "spec.crossplane")},
		},
		"ReservedStatusField": {
			reason: "Crossplane owns status.conditions.",
			crd:    crd(extv1.NamespaceScoped, size, map[string]extv1.JSONSchemaProps{"conditions": {Type: "array"}}),
			want:   want{err: errors.Errorf(errFmtReserved, "v1alpha1", "status.conditions")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := FromCRD(tc.crd, tc.defaultComposition)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nFromCRD(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.xrd, got); diff != "" {
				t.Errorf("%s\nFromCRD(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestCommittedXRDIsValid derives the XR CRD from the committed XRD exactly as Crossplane v2.4's
// definition controller does, then runs kube-apiserver's CRD validation on it: structural schema,
// CEL compilation and CEL cost limits.
func TestCommittedXRDIsValid(t *testing.T) {
	b, err := os.ReadFile(committedXRD)
	if err != nil {
		t.Fatal(err)
	}
	xrd := &xv1.CompositeResourceDefinition{}
	if err := yaml.UnmarshalStrict(b, xrd); err != nil {
		t.Fatalf("the committed XRD does not decode as a CompositeResourceDefinition: %v", err)
	}
	if got := xrd.Spec.Scope; got == nil || *got != xv1.CompositeResourceScopeNamespaced {
		t.Fatalf("scope: want Namespaced, got %v", got)
	}
	xrd.SetUID("0d1ee8c2-5d4e-4a52-9d3d-6c5c2f0d7a11") // Set by the API server; the owner reference needs it.
	crd, err := xcrd.ForCompositeResource(xrd)
	if err != nil {
		t.Fatalf("xcrd.ForCompositeResource(...): %v", err)
	}
	in := &apiextensions.CustomResourceDefinition{}
	if err := extv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, in, nil); err != nil {
		t.Fatal(err)
	}
	// ValidateCustomResourceDefinition checks status.storedVersions against the spec.
	in.Status.StoredVersions = []string{"v1alpha1"}
	if errs := extvalidation.ValidateCustomResourceDefinition(context.Background(), in); len(errs) > 0 {
		t.Errorf("the XR CRD Crossplane would create is invalid:\n%v", errs.ToAggregate())
	}
}
