/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// VSphereDriver configures the vSphere driver: where in a vCenter machines are made, from which
// templates, and the addresses control planes are reached at. Inventory paths are relative to
// the datacenter (e.g. "cluster-a", "Resources/capstan") or absolute ("/dc1/host/cluster-a").
// +kubebuilder:validation:XValidation:rule="has(self.computeCluster) != has(self.resourcePool)",message="exactly one of computeCluster and resourcePool must be set"
type VSphereDriver struct {
	// Server is the vCenter: a host name, host:port, or an https:// URL of its /sdk endpoint.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Server string `json:"server"`

	// TLS says how the vCenter's certificate is checked.
	TLS VSphereTLS `json:"tls"`

	// Datacenter holding everything below.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Datacenter string `json:"datacenter"`

	// ComputeCluster whose root resource pool machines run in.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ComputeCluster string `json:"computeCluster,omitempty"`

	// ResourcePool machines run in.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ResourcePool string `json:"resourcePool,omitempty"`

	// Datastore machine disks are placed on.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Datastore string `json:"datastore"`

	// Folder machines are made in, which must exist. Unset uses the datacenter's VM folder.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Folder string `json:"folder,omitempty"`

	// Network machines are attached to, unless an Instance names its own.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Network string `json:"network"`

	// Images maps the image an Instance names to the VM template it is cloned from. A template
	// with a snapshot is cloned as a linked clone of its current snapshot.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Images []VSphereImage `json:"images"`

	// FailureDomains Cluster API may spread machines over, each a compute cluster, host or
	// datastore. Unset, machines go where computeCluster or resourcePool says.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	FailureDomains []VSphereFailureDomain `json:"failureDomains,omitempty"`

	// ControlPlaneEndpoints is the pool each cluster's control-plane virtual IP is taken from.
	ControlPlaneEndpoints VSphereAddressPool `json:"controlPlaneEndpoints"`
}

// VSphereTLS says how a vCenter's certificate is checked: against a CA bundle, by its
// thumbprint, or (only when asked) not at all.
// +kubebuilder:validation:XValidation:rule="[has(self.caBundle), has(self.thumbprint), has(self.insecure) && self.insecure].filter(set, set).size() == 1",message="set exactly one of caBundle, thumbprint and insecure: true"
type VSphereTLS struct {
	// CABundle is the PEM-encoded CA certificates the vCenter's certificate must chain to.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	CABundle string `json:"caBundle,omitempty"`

	// Thumbprint is the SHA-1 thumbprint of the vCenter's certificate (AA:BB:...), as govc
	// and the vSphere client show it.
	// +optional
	// +kubebuilder:validation:Pattern=`^([0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}$`
	Thumbprint string `json:"thumbprint,omitempty"`

	// Insecure skips checking the vCenter's certificate. Only for throw-away test setups.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
}

// VSphereImage is a VM template machines of one image are cloned from.
type VSphereImage struct {
	// Name Instances use in spec.forProvider.image.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`

	// Template is the inventory path of the VM template.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Template string `json:"template"`
}

// VSphereFailureDomain places the machines of one failure domain.
// +kubebuilder:validation:XValidation:rule="has(self.computeCluster) || has(self.host) || has(self.datastore)",message="a failure domain must name a computeCluster, host or datastore"
// +kubebuilder:validation:XValidation:rule="!(has(self.computeCluster) && has(self.host))",message="a failure domain names a computeCluster or a host, not both"
type VSphereFailureDomain struct {
	// Name Cluster API and claims use for the failure domain.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// ComputeCluster whose root resource pool the failure domain's machines run in.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ComputeCluster string `json:"computeCluster,omitempty"`

	// Host the failure domain's machines run on.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Host string `json:"host,omitempty"`

	// Datastore the failure domain's machine disks are placed on, instead of the driver's.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Datastore string `json:"datastore,omitempty"`
}

// VSphereAddressPool is a pool of IP addresses.
type VSphereAddressPool struct {
	// Addresses of the pool: single addresses (10.0.0.5), ranges (10.0.0.10-10.0.0.20) or
	// CIDRs (10.0.1.0/28, network and broadcast addresses excluded).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=64
	Addresses []string `json:"addresses"`
}
