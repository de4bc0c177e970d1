/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

var (
	_ resource.ModernManaged = &Instance{}
	_ resource.ManagedList   = &InstanceList{}
)

// InstanceParameters are the desired properties of an instance. An instance cannot change in
// place: it is replaced, so every field is immutable once set.
// +kubebuilder:validation:XValidation:rule="has(self.size) != has(self.resources)",message="exactly one of size or resources must be set"
// +kubebuilder:validation:XValidation:rule="has(self.size) == has(oldSelf.size) && has(self.resources) == has(oldSelf.resources)",message="size and resources cannot be swapped after creation; replace the Instance instead"
// +kubebuilder:validation:XValidation:rule="has(self.network) == has(oldSelf.network) && has(self.bootstrapDataSecretRef) == has(oldSelf.bootstrapDataSecretRef)",message="network and bootstrapDataSecretRef cannot be added or removed after creation"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.failureDomain) || has(self.failureDomain)",message="failureDomain cannot be removed once set"
type InstanceParameters struct {
	// Size names an entry of the provider config's size catalogue (spec.sizes).
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="size is immutable"
	Size *string `json:"size,omitempty"`

	// Resources asks for an explicit machine shape instead of a catalogue size.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="resources are immutable"
	Resources *InstanceResources `json:"resources,omitempty"`

	// Image the instance boots.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="image is immutable"
	Image string `json:"image"`

	// FailureDomain to place the instance in. Unset lets the cloud choose; the choice is then
	// recorded here.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="failureDomain is immutable once set"
	FailureDomain *string `json:"failureDomain,omitempty"`

	// BootstrapDataSecretRef selects the key of a Secret in the instance's namespace that holds
	// the cloud-init user data the instance boots from.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="bootstrapDataSecretRef is immutable"
	BootstrapDataSecretRef *BootstrapDataSecretRef `json:"bootstrapDataSecretRef,omitempty"`

	// Network the instance is attached to. Unset means the cloud's default network.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="network is immutable"
	Network *string `json:"network,omitempty"`
}

// InstanceResources is an explicit machine shape.
type InstanceResources struct {
	// CPU cores.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=512
	CPU int32 `json:"cpu"`

	// MemoryMiB is the memory in MiB.
	// +kubebuilder:validation:Minimum=128
	MemoryMiB int32 `json:"memoryMiB"`

	// DiskGiB is the root disk in GiB.
	// +kubebuilder:validation:Minimum=1
	DiskGiB int32 `json:"diskGiB"`
}

// BootstrapDataSecretRef selects a key of a Secret in the referencing object's namespace.
type BootstrapDataSecretRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key of the user data in the Secret. Cluster API's bootstrap providers write it to "value".
	// +optional
	// +kubebuilder:default=value
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// InstanceObservation is the observed state of an instance.
type InstanceObservation struct {
	// ID of the instance in the cloud.
	ID string `json:"id,omitempty"`

	// ProviderID is the Kubernetes Node providerID of the instance.
	ProviderID string `json:"providerID,omitempty"`

	// State of the instance: Provisioning, Running, Failed or Deleting.
	State string `json:"state,omitempty"`

	// Message says why the instance is in its state, when the cloud says.
	Message string `json:"message,omitempty"`

	// FailureDomain the instance runs in.
	FailureDomain string `json:"failureDomain,omitempty"`

	// LaunchTime is when the cloud created the instance.
	LaunchTime *metav1.Time `json:"launchTime,omitempty"`

	// Addresses of the instance.
	// +listType=atomic
	Addresses []InstanceAddress `json:"addresses,omitempty"`

	// CPU cores of the instance.
	CPU int32 `json:"cpu,omitempty"`

	// MemoryMiB is the memory of the instance in MiB.
	MemoryMiB int32 `json:"memoryMiB,omitempty"`

	// DiskGiB is the root disk of the instance in GiB.
	DiskGiB int32 `json:"diskGiB,omitempty"`
}

// InstanceAddress is one address of an instance; the types match Kubernetes Node addresses.
type InstanceAddress struct {
	// Type of the address.
	// +kubebuilder:validation:Enum=Hostname;InternalIP;ExternalIP
	Type string `json:"type"`

	// Address is the address itself.
	Address string `json:"address"`
}

// InstanceSpec is the desired state of an Instance.
type InstanceSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the properties of the instance in the cloud.
	ForProvider InstanceParameters `json:"forProvider"`
}

// InstanceStatus is the observed state of an Instance.
type InstanceStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`

	// AtProvider is the instance as the cloud reports it.
	AtProvider InstanceObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// An Instance is a machine in the cloud, booted from cloud-init user data.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="STATE",type="string",JSONPath=".status.atProvider.state"
// +kubebuilder:printcolumn:name="ADDRESS",type="string",JSONPath=".status.atProvider.addresses[?(@.type=='InternalIP')].address"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,capstan}
type Instance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   InstanceSpec   `json:"spec"`
	Status InstanceStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// InstanceList is a list of Instances.
type InstanceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Instance `json:"items"`
}
