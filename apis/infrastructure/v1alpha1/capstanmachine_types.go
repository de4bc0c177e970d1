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

// MachineFinalizer lets the CapstanMachine controller delete the machine's Instance before the
// CapstanMachine goes.
const MachineFinalizer = "capstanmachine.infrastructure.cluster.x-k8s.io"

// CapstanMachineSpec is the desired state of a CapstanMachine.
// +kubebuilder:validation:XValidation:rule="has(self.size) != has(self.resources)",message="set exactly one of size or resources"
type CapstanMachineSpec struct {
	// providerID is the Kubernetes Node providerID of the machine. The controller sets it from
	// the Instance; leave it empty.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	ProviderID string `json:"providerID,omitempty"`

	// size names an entry of the provider config's size catalogue (e.g. small, medium, large).
	// Set exactly one of size or resources.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Size string `json:"size,omitempty"`

	// resources asks for an explicit machine shape instead of a catalogue size.
	// +optional
	Resources *MachineResources `json:"resources,omitempty"`

	// image is the image the machine boots.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Image string `json:"image"`

	// providerConfigRef names the provider config whose cloud holds the machine's Instance. When
	// unset the CapstanCluster's providerConfigRef is used, then the managed resources' default.
	// +optional
	ProviderConfigRef *ProviderConfigReference `json:"providerConfigRef,omitempty"`

	// failureDomain places the machine in this failure domain when its Machine names none.
	// The Machine's spec.failureDomain, set by Cluster API, always wins.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	FailureDomain string `json:"failureDomain,omitempty"`
}

// MachineResources is an explicit machine shape.
type MachineResources struct {
	// cpu is the number of CPU cores.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=512
	CPU int32 `json:"cpu"`

	// memoryMiB is the memory in MiB.
	// +required
	// +kubebuilder:validation:Minimum=128
	MemoryMiB int32 `json:"memoryMiB"`

	// diskGiB is the root disk in GiB.
	// +required
	// +kubebuilder:validation:Minimum=1
	DiskGiB int32 `json:"diskGiB"`
}

// CapstanMachineStatus is the observed state of a CapstanMachine.
type CapstanMachineStatus struct {
	// conditions are the observations of the CapstanMachine's state. Known condition types are
	// Ready, InstanceProvisioned, LoadBalancerBackend (control-plane machines) and Paused.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// initialization reports the provisioning of the machine's infrastructure.
	// NOTE: part of the Cluster API contract; it orchestrates initial Machine provisioning.
	// +optional
	Initialization CapstanMachineInitializationStatus `json:"initialization,omitempty,omitzero"`

	// addresses are the addresses of the machine's Instance.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Addresses []clusterv1.MachineAddress `json:"addresses,omitempty"`

	// failureDomain is the failure domain the machine's Instance was placed in.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	FailureDomain string `json:"failureDomain,omitempty"`
}

// CapstanMachineInitializationStatus reports the provisioning of a machine's infrastructure.
// +kubebuilder:validation:MinProperties=1
type CapstanMachineInitializationStatus struct {
	// provisioned is true once the machine's Instance runs (and, for a control-plane machine, is
	// a backend of the cluster's LoadBalancer).
	// NOTE: part of the Cluster API contract; it orchestrates initial Machine provisioning.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=capstanmachines,scope=Namespaced,categories=cluster-api;capstan
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="CLUSTER",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']"
// +kubebuilder:printcolumn:name="SIZE",type="string",JSONPath=".spec.size"
// +kubebuilder:printcolumn:name="FAILURE-DOMAIN",type="string",JSONPath=".status.failureDomain"
// +kubebuilder:printcolumn:name="PROVIDER-ID",type="string",JSONPath=".spec.providerID",priority=10
// +kubebuilder:printcolumn:name="IP",type="string",JSONPath=`.status.addresses[?(@.type=="InternalIP")].address`,priority=10
// +kubebuilder:printcolumn:name="PROVISIONED",type="boolean",JSONPath=".status.initialization.provisioned"
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"

// A CapstanMachine is the infrastructure of a Cluster API Machine on Capstan: an Instance managed
// resource that boots from the Machine's bootstrap data.
type CapstanMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CapstanMachineSpec   `json:"spec,omitempty"`
	Status CapstanMachineStatus `json:"status,omitempty"`
}

// GetConditions returns the conditions of the CapstanMachine.
func (m *CapstanMachine) GetConditions() []metav1.Condition {
	return m.Status.Conditions
}

// SetConditions sets the conditions of the CapstanMachine.
func (m *CapstanMachine) SetConditions(conditions []metav1.Condition) {
	m.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// CapstanMachineList is a list of CapstanMachines.
type CapstanMachineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CapstanMachine `json:"items"`
}

// CapstanMachine type metadata.
var (
	CapstanMachineKind             = reflect.TypeFor[CapstanMachine]().Name()
	CapstanMachineGroupKind        = schema.GroupKind{Group: Group, Kind: CapstanMachineKind}.String()
	CapstanMachineKindAPIVersion   = CapstanMachineKind + "." + SchemeGroupVersion.String()
	CapstanMachineGroupVersionKind = SchemeGroupVersion.WithKind(CapstanMachineKind)
)
