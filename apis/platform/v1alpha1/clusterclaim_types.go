/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterClaimSpec is what a developer asks for. Fields left out take the platform team's defaults
// from the Composition's function input.
// +kubebuilder:validation:XValidation:rule="has(self.classRef) || !has(self.workers) || self.workers.all(w, !has(w.class))",message="spec.workers[].class needs spec.classRef"
type ClusterClaimSpec struct {
	// version is the Kubernetes version of the cluster, e.g. v1.35.4. The platform team's function
	// input lists the versions it allows.
	// +kubebuilder:validation:Pattern=`^v1\.[0-9]+\.[0-9]+$`
	// +kubebuilder:validation:MaxLength=16
	Version string `json:"version"`

	// controlPlane sizes the control plane.
	// +optional
	ControlPlane ControlPlane `json:"controlPlane,omitempty,omitzero"`

	// workers are the worker pools; each becomes a MachineDeployment.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.exists_one(q, q.name == p.name))",message="worker pool names must be unique"
	Workers []WorkerPool `json:"workers,omitempty"`

	// network holds the cluster's pod and service CIDRs.
	// +optional
	Network Network `json:"network,omitempty,omitzero"`

	// healthChecks turns machine health checks (and so automatic remediation) on or off. Defaults to
	// the platform team's choice.
	// +optional
	HealthChecks *HealthChecks `json:"healthChecks,omitempty"`

	// paused stops Cluster API from reconciling the cluster while true.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// classRef names a shared ClusterClass to use instead of the one composed for this claim. Worker
	// pools then pick the class's machine deployment classes by spec.workers[].class or by size.
	// +optional
	ClassRef *ClassReference `json:"classRef,omitempty"`

	// providerConfigRef names the Capstan provider config the cluster's machines and load balancer
	// use. Defaults to the provider's default.
	// +optional
	ProviderConfigRef *ProviderConfigReference `json:"providerConfigRef,omitempty"`
}

// ControlPlane sizes the control plane.
type ControlPlane struct {
	// replicas is the number of control-plane machines: 1, 3 or 5 (etcd needs an odd quorum).
	// Defaults to 1.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self in [1, 3, 5]",message="control plane replicas must be 1, 3 or 5"
	Replicas *int32 `json:"replicas,omitempty"`

	// size names a machine size from the platform team's catalogue. Defaults to the catalogue's
	// default size.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=32
	Size string `json:"size,omitempty"`
}

// WorkerPool is a group of identical worker machines.
// +kubebuilder:validation:XValidation:rule="has(self.replicas) != has(self.autoscaling)",message="set exactly one of replicas or autoscaling"
type WorkerPool struct {
	// name identifies the pool within the claim.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=32
	Name string `json:"name"`

	// size names a machine size from the platform team's catalogue. Defaults to the catalogue's
	// default size.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=32
	Size string `json:"size,omitempty"`

	// replicas is a fixed number of machines. Mutually exclusive with autoscaling.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Replicas *int32 `json:"replicas,omitempty"`

	// autoscaling lets the cluster autoscaler size the pool between min and max. Mutually exclusive
	// with replicas.
	// +optional
	Autoscaling *Autoscaling `json:"autoscaling,omitempty"`

	// labels are set on the pool's Machines and Nodes.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Labels map[string]string `json:"labels,omitempty"`

	// taints are set on the pool's Nodes when they register.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Taints []Taint `json:"taints,omitempty"`

	// failureDomain pins the pool's machines to one failure domain.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	FailureDomain string `json:"failureDomain,omitempty"`

	// class names the machine deployment class of the shared ClusterClass in spec.classRef.
	// Defaults to the pool's size. Only valid with spec.classRef.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Class string `json:"class,omitempty"`
}

// Autoscaling bounds a worker pool for the cluster autoscaler.
// +kubebuilder:validation:XValidation:rule="self.min <= self.max",message="autoscaling min must not exceed max"
type Autoscaling struct {
	// min is the fewest machines the autoscaler keeps.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Min int32 `json:"min"`

	// max is the most machines the autoscaler creates.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Max int32 `json:"max"`
}

// Taint is a Kubernetes Node taint.
type Taint struct {
	// key is the taint key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`

	// value is the taint value.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Value string `json:"value,omitempty"`

	// effect is what the taint does to Pods that do not tolerate it.
	// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
	Effect string `json:"effect"`
}

// Network holds the cluster's address ranges. The composition function also checks what needs
// the platform's defaults or the cluster's size: reserved ranges, and room for every Node.
// +kubebuilder:validation:XValidation:rule="!has(self.pods) || !has(self.services) || !isCIDR(self.pods) || !isCIDR(self.services) || cidr(self.pods).ip().family() == cidr(self.services).ip().family()",message="pods and services must be of one IP family"
// +kubebuilder:validation:XValidation:rule="!has(self.pods) || !has(self.services) || !isCIDR(self.pods) || !isCIDR(self.services) || !(cidr(self.pods).containsCIDR(cidr(self.services)) || cidr(self.services).containsCIDR(cidr(self.pods)))",message="pods and services must not overlap"
type Network struct {
	// pods is the CIDR Pods get addresses from. Defaults to the platform team's choice.
	// +optional
	// +kubebuilder:validation:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="isCIDR(self)",message="must be a CIDR such as 192.168.0.0/16"
	// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self) == cidr(self).masked()",message="must have no host bits set, such as 192.168.0.0/16"
	Pods string `json:"pods,omitempty"`

	// services is the CIDR Services get addresses from. Defaults to the platform team's choice.
	// +optional
	// +kubebuilder:validation:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="isCIDR(self)",message="must be a CIDR such as 10.128.0.0/12"
	// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self) == cidr(self).masked()",message="must have no host bits set, such as 10.128.0.0/12"
	Services string `json:"services,omitempty"`
}

// HealthChecks turns machine health checks on or off.
type HealthChecks struct {
	// enabled is true to replace machines whose Node stays unhealthy.
	Enabled bool `json:"enabled"`
}

// ClassReference names a shared ClusterClass.
type ClassReference struct {
	// name of the ClusterClass.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the ClusterClass. Defaults to the claim's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// variables are passed to the class as Cluster topology variables.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Variables []Variable `json:"variables,omitempty"`
}

// Variable is a value for one of a shared ClusterClass's variables.
type Variable struct {
	// name of the class variable.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// value of the variable, any JSON the class's variable schema accepts.
	Value apiextensionsv1.JSON `json:"value"`
}

// ProviderConfigReference names a Capstan provider config.
type ProviderConfigReference struct {
	// kind is ProviderConfig (in the claim's namespace) or ClusterProviderConfig.
	// +kubebuilder:validation:Enum=ProviderConfig;ClusterProviderConfig
	Kind string `json:"kind"`

	// name of the provider config.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ClusterClaimStatus is what the composition function observes of the cluster. Crossplane owns
// status.conditions: Ready and Synced, plus the Cluster API conditions the function mirrors
// (ClusterAvailable, ControlPlaneAvailable, WorkersAvailable, ...).
type ClusterClaimStatus struct {
	// phase is the Cluster API Cluster's phase: Pending, Provisioning, Provisioned, Deleting or
	// Failed.
	// +optional
	Phase string `json:"phase,omitempty"`

	// controlPlaneEndpoint is the workload cluster's API server address, host:port.
	// +optional
	ControlPlaneEndpoint string `json:"controlPlaneEndpoint,omitempty"`

	// version is the Kubernetes version the control plane runs.
	// +optional
	Version string `json:"version,omitempty"`

	// controlPlane counts control-plane machines.
	// +optional
	ControlPlane ReplicaStatus `json:"controlPlane,omitempty,omitzero"`

	// workers counts worker machines over every pool.
	// +optional
	Workers ReplicaStatus `json:"workers,omitempty,omitzero"`

	// kubeconfigSecretName names the Secret, in the claim's namespace, that holds the workload
	// cluster's admin kubeconfig under the key "value".
	// +optional
	KubeconfigSecretName string `json:"kubeconfigSecretName,omitempty"`
}

// ReplicaStatus counts machines.
type ReplicaStatus struct {
	// desired is the number of machines asked for.
	// +optional
	Desired int32 `json:"desired,omitempty"`

	// ready is the number of machines whose Node is ready.
	// +optional
	Ready int32 `json:"ready,omitempty"`

	// summary is ready/desired, for printing.
	// +optional
	Summary string `json:"summary,omitempty"`
}

// +kubebuilder:object:root=true

// A ClusterClaim asks for a Kubernetes cluster. It is a namespaced Crossplane composite resource;
// its composition function expands it into Cluster API topology in the same namespace.
// +kubebuilder:resource:scope=Namespaced,categories={capstan},shortName=cc
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="VERSION",type="string",JSONPath=".spec.version"
// +kubebuilder:printcolumn:name="CONTROL PLANE",type="string",JSONPath=".status.controlPlane.summary"
// +kubebuilder:printcolumn:name="WORKERS",type="string",JSONPath=".status.workers.summary"
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.controlPlaneEndpoint"
// +kubebuilder:printcolumn:name="PHASE",type="string",JSONPath=".status.phase",priority=1
type ClusterClaim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterClaimSpec   `json:"spec"`
	Status ClusterClaimStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterClaimList contains a list of ClusterClaims.
type ClusterClaimList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterClaim `json:"items"`
}

// ClusterClaim type metadata.
var (
	ClusterClaimKind             = "ClusterClaim"
	ClusterClaimGroupVersionKind = SchemeGroupVersion.WithKind(ClusterClaimKind)
)
