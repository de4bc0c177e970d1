/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1beta1 is the input of the ClusterClaim composition function: the choices a platform
// team makes in its Composition (size catalogue, allowed versions, kubeadm and health-check
// defaults) so that shaping the service needs no code.
// +kubebuilder:object:generate=true
// +groupName=clusterclaim.fn.capstan.dev
// +versionName=v1beta1
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SchemeGroupVersion is the group version of the input.
var SchemeGroupVersion = schema.GroupVersion{Group: "clusterclaim.fn.capstan.dev", Version: "v1beta1"}

// AddToScheme adds the input kind to a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &Input{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}

// Input is the ClusterClaim function's input.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// sizes is the machine size catalogue claims choose from.
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=name
	Sizes []Size `json:"sizes"`

	// defaultSize is the size of machines whose claim names none. Defaults to the first size.
	// +optional
	DefaultSize string `json:"defaultSize,omitempty"`

	// versions are the Kubernetes versions claims may ask for.
	// +kubebuilder:validation:MinItems=1
	Versions []string `json:"versions"`

	// machineImage is the image every machine boots.
	// +kubebuilder:validation:MinLength=1
	MachineImage string `json:"machineImage"`

	// sharedClassNamespaces are the namespaces, besides its own, whose ClusterClasses a claim may
	// name in spec.classRef: where the platform team publishes shared classes. A claim never uses
	// another team's class.
	// +optional
	// +listType=set
	SharedClassNamespaces []string `json:"sharedClassNamespaces,omitempty"`

	// network holds the address ranges of claims that name none.
	// +optional
	Network Network `json:"network,omitempty"`

	// kubeadm holds the kubeadm settings of every node.
	// +optional
	Kubeadm Kubeadm `json:"kubeadm,omitempty"`

	// healthChecks holds the machine health checks of every cluster.
	// +optional
	HealthChecks HealthChecks `json:"healthChecks,omitempty"`

	// kubeVIP configures the kube-vip static pod added to the control plane's files of claims
	// whose provider config gives control planes a virtual IP the machines announce (the vsphere
	// driver).
	// +optional
	KubeVIP KubeVIP `json:"kubeVIP,omitempty"`
}

// KubeVIP configures kube-vip on control-plane machines.
type KubeVIP struct {
	// image of kube-vip. Defaults to the provider's.
	// +optional
	Image string `json:"image,omitempty"`

	// interface kube-vip announces the address on. Defaults to eth0.
	// +optional
	Interface string `json:"interface,omitempty"`
}

// Size is one machine shape of the catalogue.
type Size struct {
	// name is what claims call the size, e.g. small.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=32
	Name string `json:"name"`

	// cpu is the number of CPU cores.
	// +kubebuilder:validation:Minimum=1
	CPU int32 `json:"cpu"`

	// memoryMiB is the memory in MiB.
	// +kubebuilder:validation:Minimum=128
	MemoryMiB int32 `json:"memoryMiB"`

	// diskGiB is the root disk in GiB.
	// +kubebuilder:validation:Minimum=1
	DiskGiB int32 `json:"diskGiB"`
}

// Network holds default address ranges.
type Network struct {
	// pods is the default Pod CIDR.
	// +optional
	Pods string `json:"pods,omitempty"`

	// services is the default Service CIDR.
	// +optional
	Services string `json:"services,omitempty"`

	// serviceDomain is the cluster DNS domain.
	// +optional
	ServiceDomain string `json:"serviceDomain,omitempty"`
}

// Kubeadm holds kubeadm settings.
type Kubeadm struct {
	// criSocket is the container runtime socket kubeadm registers nodes with.
	// +optional
	CRISocket string `json:"criSocket,omitempty"`

	// kubeletExtraArgs are passed to every kubelet.
	// +optional
	KubeletExtraArgs []Arg `json:"kubeletExtraArgs,omitempty"`

	// apiServerExtraArgs are passed to every kube-apiserver.
	// +optional
	APIServerExtraArgs []Arg `json:"apiServerExtraArgs,omitempty"`

	// apiServerCertSANs are extra names in the API server certificate.
	// +optional
	APIServerCertSANs []string `json:"apiServerCertSANs,omitempty"`
}

// Arg is a command-line argument.
type Arg struct {
	// name of the argument, without leading dashes.
	Name string `json:"name"`

	// value of the argument.
	Value string `json:"value"`
}

// HealthChecks configures machine health checks.
type HealthChecks struct {
	// enabled is the default of claims that do not say. Defaults to true.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// nodeStartupTimeoutSeconds is how long a machine may take to get a Node.
	// +optional
	// +kubebuilder:validation:Minimum=0
	NodeStartupTimeoutSeconds *int32 `json:"nodeStartupTimeoutSeconds,omitempty"`

	// unhealthyNodeTimeoutSeconds is how long a Node may be not Ready before its machine is
	// replaced. Defaults to 300.
	// +optional
	// +kubebuilder:validation:Minimum=0
	UnhealthyNodeTimeoutSeconds *int32 `json:"unhealthyNodeTimeoutSeconds,omitempty"`
}
