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

// CapstanMachineTemplateSpec is the desired state of a CapstanMachineTemplate.
type CapstanMachineTemplateSpec struct {
	// template is what every CapstanMachine made from this template starts from.
	// +required
	Template CapstanMachineTemplateResource `json:"template"`
}

// CapstanMachineTemplateResource is the data a CapstanMachine is made from.
type CapstanMachineTemplateResource struct {
	// metadata is copied to every CapstanMachine made from this template.
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// spec is the spec of every CapstanMachine made from this template.
	// +required
	Spec CapstanMachineSpec `json:"spec"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:path=capstanmachinetemplates,scope=Namespaced,categories=cluster-api;capstan
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="SIZE",type="string",JSONPath=".spec.template.spec.size"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"

// A CapstanMachineTemplate is a template KubeadmControlPlanes and MachineDeployments use to make
// CapstanMachines. Treat it as immutable: change a template by making a new one and pointing its
// users at it.
type CapstanMachineTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CapstanMachineTemplateSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// CapstanMachineTemplateList is a list of CapstanMachineTemplates.
type CapstanMachineTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CapstanMachineTemplate `json:"items"`
}

// CapstanMachineTemplate type metadata.
var (
	CapstanMachineTemplateKind             = reflect.TypeFor[CapstanMachineTemplate]().Name()
	CapstanMachineTemplateGroupKind        = schema.GroupKind{Group: Group, Kind: CapstanMachineTemplateKind}.String()
	CapstanMachineTemplateKindAPIVersion   = CapstanMachineTemplateKind + "." + SchemeGroupVersion.String()
	CapstanMachineTemplateGroupVersionKind = SchemeGroupVersion.WithKind(CapstanMachineTemplateKind)
)
