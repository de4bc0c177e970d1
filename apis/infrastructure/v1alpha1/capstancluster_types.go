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

// ClusterFinalizer lets the CapstanCluster controller delete the cluster's LoadBalancer before the
// CapstanCluster goes.
const ClusterFinalizer = "capstancluster.infrastructure.cluster.x-k8s.io"

// CapstanClusterSpec is the desired state of a CapstanCluster.
type CapstanClusterSpec struct {
	// controlPlaneEndpoint is the endpoint of the cluster's Kubernetes API: the address of its
	// LoadBalancer. The controller sets it; leave it empty.
	// +optional
	ControlPlaneEndpoint APIEndpoint `json:"controlPlaneEndpoint,omitempty,omitzero"`

	// providerConfigRef names the provider config whose cloud holds the cluster's LoadBalancer.
	// When unset the LoadBalancer gets the managed resources' default provider config.
	// +optional
	ProviderConfigRef *ProviderConfigReference `json:"providerConfigRef,omitempty"`

	// failureDomains names the failure domains (zones) machines of this cluster may be placed in.
	// Every one of them may hold control-plane machines. Cluster API spreads machines over them.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:items:MaxLength=63
	FailureDomains []string `json:"failureDomains,omitempty"`

	// loadBalancer configures the LoadBalancer in front of the control plane.
	// +optional
	LoadBalancer CapstanLoadBalancer `json:"loadBalancer,omitempty,omitzero"`
}

// CapstanLoadBalancer configures the LoadBalancer in front of a cluster's control plane.
type CapstanLoadBalancer struct {
	// apiServerPort is the port control-plane machines serve the Kubernetes API on, the
	// LoadBalancer's backend port. 6443 when unset, kubeadm's default.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	APIServerPort int32 `json:"apiServerPort,omitempty"`

	// kubeVIP configures the kube-vip static pod that announces the control-plane endpoint
	// when the cloud's LoadBalancer is a virtual IP the machines announce themselves
	// (vSphere). The controller then writes the pod's manifest to the Secret
	// <Cluster name>-kube-vip, key kube-vip.yaml, before the first machine is made; the
	// control plane's KubeadmConfig writes it to /etc/kubernetes/manifests/kube-vip.yaml.
	// +optional
	KubeVIP KubeVIP `json:"kubeVIP,omitempty,omitzero"`
}

// KubeVIP configures kube-vip on control-plane machines.
type KubeVIP struct {
	// image of kube-vip.
	// +optional
	// +kubebuilder:default="ghcr.io/kube-vip/kube-vip:v1.0.0"
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image,omitempty"`

	// interface kube-vip announces the address on.
	// +optional
	// +kubebuilder:default="eth0"
	// +kubebuilder:validation:MaxLength=64
	Interface string `json:"interface,omitempty"`
}

// CapstanClusterStatus is the observed state of a CapstanCluster.
type CapstanClusterStatus struct {
	// conditions are the observations of the CapstanCluster's state. Known condition types are
	// Ready, LoadBalancerAvailable and Paused.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// initialization reports the provisioning of the cluster's infrastructure.
	// NOTE: part of the Cluster API contract; it orchestrates initial Cluster provisioning.
	// +optional
	Initialization CapstanClusterInitializationStatus `json:"initialization,omitempty,omitzero"`

	// failureDomains are the failure domains Cluster API may place machines in, from
	// spec.failureDomains.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	FailureDomains []clusterv1.FailureDomain `json:"failureDomains,omitempty"`
}

// CapstanClusterInitializationStatus reports the provisioning of a cluster's infrastructure.
// +kubebuilder:validation:MinProperties=1
type CapstanClusterInitializationStatus struct {
	// provisioned is true once the LoadBalancer serves the control-plane endpoint.
	// NOTE: part of the Cluster API contract; it orchestrates initial Cluster provisioning.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=capstanclusters,scope=Namespaced,categories=cluster-api;capstan
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="CLUSTER",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']"
// +kubebuilder:printcolumn:name="HOST",type="string",JSONPath=".spec.controlPlaneEndpoint.host"
// +kubebuilder:printcolumn:name="PORT",type="integer",JSONPath=".spec.controlPlaneEndpoint.port"
// +kubebuilder:printcolumn:name="PROVISIONED",type="boolean",JSONPath=".status.initialization.provisioned"
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"

// A CapstanCluster is the infrastructure of a Cluster API Cluster on Capstan: a LoadBalancer
// managed resource in front of the control plane, and the failure domains machines may use.
type CapstanCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CapstanClusterSpec   `json:"spec,omitempty"`
	Status CapstanClusterStatus `json:"status,omitempty"`
}

// GetConditions returns the conditions of the CapstanCluster.
func (c *CapstanCluster) GetConditions() []metav1.Condition {
	return c.Status.Conditions
}

// SetConditions sets the conditions of the CapstanCluster.
func (c *CapstanCluster) SetConditions(conditions []metav1.Condition) {
	c.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// CapstanClusterList is a list of CapstanClusters.
type CapstanClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CapstanCluster `json:"items"`
}

// CapstanCluster type metadata.
var (
	CapstanClusterKind             = reflect.TypeFor[CapstanCluster]().Name()
	CapstanClusterGroupKind        = schema.GroupKind{Group: Group, Kind: CapstanClusterKind}.String()
	CapstanClusterKindAPIVersion   = CapstanClusterKind + "." + SchemeGroupVersion.String()
	CapstanClusterGroupVersionKind = SchemeGroupVersion.WithKind(CapstanClusterKind)
)
