/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// APIEndpoint is a reachable Kubernetes API endpoint.
// +kubebuilder:validation:MinProperties=1
type APIEndpoint struct {
	// host is the hostname or IP address the API server is served on.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Host string `json:"host,omitempty"`

	// port is the port the API server is served on.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
}

// IsZero reports whether neither host nor port is set.
func (e APIEndpoint) IsZero() bool {
	return e.Host == "" && e.Port == 0
}

// ProviderConfigKind is the kind of a Capstan provider config.
// +kubebuilder:validation:Enum=ProviderConfig;ClusterProviderConfig
type ProviderConfigKind string

// Provider config kinds.
const (
	// ProviderConfigKindNamespaced is a ProviderConfig in the namespace of the referencing object.
	ProviderConfigKindNamespaced ProviderConfigKind = "ProviderConfig"
	// ProviderConfigKindCluster is a cluster-scoped ClusterProviderConfig.
	ProviderConfigKindCluster ProviderConfigKind = "ClusterProviderConfig"
)

// ProviderConfigReference names the Capstan provider config (capstan.dev/v1alpha1) whose cloud the
// managed resources made for this object use.
type ProviderConfigReference struct {
	// kind of the provider config.
	// +required
	Kind ProviderConfigKind `json:"kind"`

	// name of the provider config.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}
