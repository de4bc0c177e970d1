/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// CapstanClusterTemplateSpec is the desired state of a CapstanClusterTemplate.
type CapstanClusterTemplateSpec struct {
	// template is what every CapstanCluster made from this template starts from.
	// +required
	Template CapstanClusterTemplateResource `json:"template"`
}

// CapstanClusterTemplateResource is the data a CapstanCluster is made from.
type CapstanClusterTemplateResource struct {
	// metadata is copied to every CapstanCluster made from this template.
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// spec is the spec of every CapstanCluster made from this template.
	// +required
	Spec CapstanClusterSpec `json:"spec"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:path=capstanclustertemplates,scope=Namespaced,categories=cluster-api;capstan
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"

// A CapstanClusterTemplate is a template a ClusterClass uses to make CapstanClusters. Treat it as
// immutable: change a template by making a new one and pointing the ClusterClass at it.
type CapstanClusterTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CapstanClusterTemplateSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// CapstanClusterTemplateList is a list of CapstanClusterTemplates.
type CapstanClusterTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CapstanClusterTemplate `json:"items"`
}

// CapstanClusterTemplate type metadata.
var (
	CapstanClusterTemplateKind             = reflect.TypeFor[CapstanClusterTemplate]().Name()
	CapstanClusterTemplateGroupKind        = schema.GroupKind{Group: Group, Kind: CapstanClusterTemplateKind}.String()
	CapstanClusterTemplateKindAPIVersion   = CapstanClusterTemplateKind + "." + SchemeGroupVersion.String()
	CapstanClusterTemplateGroupVersionKind = SchemeGroupVersion.WithKind(CapstanClusterTemplateKind)
)
