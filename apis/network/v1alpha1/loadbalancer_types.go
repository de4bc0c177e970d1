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
	_ resource.ModernManaged = &LoadBalancer{}
	_ resource.ManagedList   = &LoadBalancerList{}
)

// Listener protocols.
const (
	ProtocolTCP = "TCP"
	ProtocolTLS = "TLS"
)

// LoadBalancerParameters are the desired properties of a load balancer.
type LoadBalancerParameters struct {
	// Listeners accept the traffic. There is one today: its endpoint is the load balancer's.
	// Listeners cannot change, because their endpoint is already in every kubeconfig.
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="listeners are immutable: their endpoint is already in every kubeconfig"
	Listeners []Listener `json:"listeners"`

	// Backends receive the traffic.
	// +optional
	Backends Backends `json:"backends,omitempty"`

	// HealthCheck decides which backends are in service. Unset keeps every backend in service.
	// +optional
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
}

// Listener is a port the load balancer accepts traffic on.
type Listener struct {
	// Port the backends serve on.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// Protocol spoken on the port.
	// +optional
	// +kubebuilder:default=TCP
	// +kubebuilder:validation:Enum=TCP;TLS
	Protocol string `json:"protocol,omitempty"`
}

// Backends are the targets of a load balancer: Instances, by ID, reference or selector, and raw
// addresses.
// +kubebuilder:validation:XValidation:rule="!has(self.instanceSelector) || !has(self.instanceSelector.namespace)",message="instanceSelector.namespace must be unset: backends are Instances of the load balancer's namespace"
type Backends struct {
	// InstanceIDs are the cloud IDs (external names) of the backend Instances. They are
	// resolved from instanceRefs or instanceSelector when those are set.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +crossplane:generate:reference:type=github.com/capstan-dev/capstan/apis/compute/v1alpha1.Instance
	// +crossplane:generate:reference:refFieldName=InstanceRefs
	// +crossplane:generate:reference:selectorFieldName=InstanceSelector
	// +nullable
	InstanceIDs []string `json:"instanceIds,omitempty"`

	// InstanceRefs name the backend Instances. Resolved IDs are kept once found; set
	// policy.resolve to Always to follow a list that changes. A reference to an Instance that does
	// not exist is an error; use instanceSelector to follow Instances that may not exist yet.
	// A reference's namespace, when set, must be the LoadBalancer's own.
	// +optional
	// +nullable
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	InstanceRefs []xpv2.NamespacedReference `json:"instanceRefs,omitempty"`

	// InstanceSelector selects the backend Instances by label. Set policy.resolve to Always
	// and policy.resolution to Optional to follow Instances that come and go (none may match).
	// +optional
	InstanceSelector *xpv2.NamespacedSelector `json:"instanceSelector,omitempty"`

	// Addresses are raw backend addresses (IP or host name) outside any Instance.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$`
	Addresses []string `json:"addresses,omitempty"`
}

// HealthCheck decides whether a backend is in service.
// +kubebuilder:validation:XValidation:rule="!has(self.path) || self.protocol == 'TLS'",message="path needs protocol TLS"
type HealthCheck struct {
	// Protocol of the check: TCP connects; TLS completes a handshake, and requests path if set.
	// +optional
	// +kubebuilder:default=TCP
	// +kubebuilder:validation:Enum=TCP;TLS
	Protocol string `json:"protocol,omitempty"`

	// Port to check. Unset checks the listener's port.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`

	// Path requested by a TLS check, e.g. /readyz.
	// +optional
	// +kubebuilder:validation:Pattern=`^/[^\s]*$`
	// +kubebuilder:validation:MaxLength=1024
	Path *string `json:"path,omitempty"`

	// IntervalSeconds between checks.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	IntervalSeconds int32 `json:"intervalSeconds,omitempty"`

	// HealthyThreshold is how many checks in a row must pass before a backend is in service.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	HealthyThreshold int32 `json:"healthyThreshold,omitempty"`

	// UnhealthyThreshold is how many checks in a row must fail before a backend is out of service.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	UnhealthyThreshold int32 `json:"unhealthyThreshold,omitempty"`
}

// LoadBalancerObservation is the observed state of a load balancer.
type LoadBalancerObservation struct {
	// Host the load balancer listens on.
	Host string `json:"host,omitempty"`

	// Port the load balancer listens on. A provider that lost its cloud asks for this port
	// again, so the endpoint survives restarts.
	Port int32 `json:"port,omitempty"`

	// Endpoint is host:port.
	Endpoint string `json:"endpoint,omitempty"`

	// State of the load balancer: Provisioning, Active or Failed.
	State string `json:"state,omitempty"`

	// Message says why the load balancer is in its state, when the cloud says.
	Message string `json:"message,omitempty"`

	// VirtualIP is true when the cloud only reserves the address and the backends announce it
	// themselves (kube-vip on control-plane machines, on vSphere).
	VirtualIP bool `json:"virtualIP,omitempty"`

	// Backends reports the health of each backend.
	// +listType=atomic
	Backends []BackendObservation `json:"backends,omitempty"`
}

// BackendObservation is the health of one backend.
type BackendObservation struct {
	// InstanceID of the backend, when it is an Instance.
	InstanceID string `json:"instanceId,omitempty"`

	// Address of the backend, when it is a raw address.
	Address string `json:"address,omitempty"`

	// Healthy is true when the backend is in service.
	Healthy bool `json:"healthy"`
}

// LoadBalancerSpec is the desired state of a LoadBalancer.
type LoadBalancerSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the properties of the load balancer in the cloud.
	ForProvider LoadBalancerParameters `json:"forProvider"`
}

// LoadBalancerStatus is the observed state of a LoadBalancer.
type LoadBalancerStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`

	// AtProvider is the load balancer as the cloud reports it.
	AtProvider LoadBalancerObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A LoadBalancer is an endpoint in the cloud that spreads traffic over Instances and addresses.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="STATE",type="string",JSONPath=".status.atProvider.state"
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.atProvider.endpoint"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,capstan}
type LoadBalancer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LoadBalancerSpec   `json:"spec"`
	Status LoadBalancerStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// LoadBalancerList is a list of LoadBalancers.
type LoadBalancerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LoadBalancer `json:"items"`
}
