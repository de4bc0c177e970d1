/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package project reads and writes Capstan as an Upbound project: upbound.yaml, and the
// CompositionTests and E2ETests under tests/ that `up test run` consumes. Capstan runs the same
// files itself: CompositionTests through crossplane render, E2ETests on the local stack.
package project

//go:generate go run ./generate -root ../..

import (
	pkgmetav1 "github.com/crossplane/crossplane/apis/v2/pkg/meta/v1"
)

// APIVersion of every kind here, as the up CLI reads them.
const APIVersion = "meta.dev.upbound.io/v1alpha1"

// Kinds.
const (
	KindProject         = "Project"
	KindCompositionTest = "CompositionTest"
	KindE2ETest         = "E2ETest"
)

// Header is the part of every document here that says what it is.
type Header struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
}

// Metadata names a document.
type Metadata struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Project is upbound.yaml: the configuration a project builds, what it depends on and where its
// parts are.
type Project struct {
	Header `json:",inline"`
	Spec   ProjectSpec `json:"spec"`
}

// ProjectSpec is what a project is.
type ProjectSpec struct {
	Repository  string                           `json:"repository"`
	Source      string                           `json:"source,omitempty"`
	License     string                           `json:"license,omitempty"`
	Maintainer  string                           `json:"maintainer,omitempty"`
	Description string                           `json:"description,omitempty"`
	Crossplane  *pkgmetav1.CrossplaneConstraints `json:"crossplane,omitempty"`
	DependsOn   []Dependency                     `json:"dependsOn,omitempty"`
	Paths       Paths                            `json:"paths"`
}

// Dependency is a package the project needs: exactly one of Provider, Function and
// Configuration, with a version constraint.
type Dependency struct {
	Provider      string `json:"provider,omitempty"`
	Function      string `json:"function,omitempty"`
	Configuration string `json:"configuration,omitempty"`
	Version       string `json:"version"`
}

// Paths are where a project's parts are, relative to upbound.yaml.
type Paths struct {
	APIs      string `json:"apis"`
	Functions string `json:"functions"`
	Examples  string `json:"examples"`
	Tests     string `json:"tests"`
}

// CompositionTest renders one XR through its Composition and asserts what comes out.
type CompositionTest struct {
	Header `json:",inline"`
	Spec   CompositionTestSpec `json:"spec"`
}

// CompositionTestSpec is one render and its assertions. Paths are relative to the project.
type CompositionTestSpec struct {
	// XR inline, or XRPath to a file holding it.
	XR     map[string]any `json:"xr,omitempty"`
	XRPath string         `json:"xrPath,omitempty"`

	XRDPath         string `json:"xrdPath"`
	CompositionPath string `json:"compositionPath"`

	// ObservedResources are the composed resources as they exist, for a render of an XR that
	// is already composing.
	ObservedResources []map[string]any `json:"observedResources,omitempty"`
	// ExtraResources are what the functions require (provider configs, shared classes).
	ExtraResources []map[string]any `json:"extraResources,omitempty"`
	// AssertResources must each match a rendered object: the same apiVersion, kind and name,
	// and every field they set equal.
	AssertResources []map[string]any `json:"assertResources,omitempty"`

	TimeoutSeconds int  `json:"timeoutSeconds,omitempty"`
	Validate       bool `json:"validate,omitempty"`
}

// ExpectedErrorAnnotation marks a CompositionTest whose render must fail with a message
// containing its value: a claim that cannot work. up test run reports such a test as failed,
// which is the outcome it asserts.
const ExpectedErrorAnnotation = "capstan.dev/expected-error"

// E2ETest applies manifests to a control plane and waits for their conditions.
type E2ETest struct {
	Header `json:",inline"`
	Spec   E2ETestSpec `json:"spec"`
}

// E2ETestSpec is one end-to-end test.
type E2ETestSpec struct {
	// Crossplane is the control plane the test needs, as Upbound Spaces describe one.
	Crossplane CrossplaneSpec `json:"crossplane"`
	// DefaultConditions every manifest must reach, True.
	DefaultConditions []string `json:"defaultConditions,omitempty"`
	// Manifests are the objects under test, applied in order.
	Manifests []map[string]any `json:"manifests"`
	// ExtraResources are applied first and are not waited for.
	ExtraResources []map[string]any `json:"extraResources,omitempty"`
	// SkipDelete leaves what the test applied in place.
	SkipDelete bool `json:"skipDelete,omitempty"`
	// TimeoutSeconds bounds the wait for the conditions.
	TimeoutSeconds int `json:"timeoutSeconds"`
}

// CrossplaneSpec is the Crossplane of a control plane in the shape of up-sdk-go's
// spaces/v1beta1 CrossplaneSpec, which Upbound reads from an E2ETest. That package cannot be
// built beside crossplane-runtime v2.4 (it imports runtime's apis/common/v1, removed in v2.3),
// so hack/tools/upbound checks every E2ETest here against the real type.
type CrossplaneSpec struct {
	// Version of Crossplane, without a leading v.
	Version string `json:"version,omitempty"`
	// AutoUpgrade picks the version by channel instead.
	AutoUpgrade *AutoUpgrade `json:"autoUpgrade,omitempty"`
	// State of the control plane's workloads: Running or Paused.
	State string `json:"state,omitempty"`
}

// AutoUpgrade is an upgrade channel: None, Patch, Stable or Rapid.
type AutoUpgrade struct {
	Channel string `json:"channel,omitempty"`
}
