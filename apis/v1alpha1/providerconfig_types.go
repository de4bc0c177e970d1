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
	_ resource.ProviderConfig = &ProviderConfig{}
	_ resource.ProviderConfig = &ClusterProviderConfig{}
)

// ProviderConfigSpec says which cloud backs the managed resources that use this config, how to
// reach it, and which instance sizes it offers.
type ProviderConfigSpec struct {
	// Driver selects and configures the cloud driver. Exactly one driver must be set.
	Driver DriverConfig `json:"driver"`

	// Credentials to reach the cloud. The inMemory driver needs none; the vsphere driver reads
	// a JSON object {"username": ..., "password": ...}.
	// +optional
	// +kubebuilder:default={"source": "None"}
	Credentials ProviderCredentials `json:"credentials,omitempty"`

	// Sizes is the catalogue of instance sizes an Instance may name in spec.forProvider.size.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:default={{"name": "small", "cpu": 2, "memoryMiB": 4096, "diskGiB": 20}, {"name": "medium", "cpu": 4, "memoryMiB": 8192, "diskGiB": 40}, {"name": "large", "cpu": 8, "memoryMiB": 16384, "diskGiB": 80}}
	Sizes []InstanceSize `json:"sizes,omitempty"`
}

// DriverConfig holds one member per cloud driver; exactly one is set.
// +kubebuilder:validation:XValidation:rule="[has(self.inMemory), has(self.vsphere)].filter(set, set).size() == 1",message="exactly one driver must be set (supported: inMemory, vsphere)"
type DriverConfig struct {
	// InMemory runs the cloud inside the provider process: simulated machines that boot from
	// their bootstrap data, and load balancers that are real TLS listeners on loopback ports.
	// Its state lives as long as the provider process.
	// +optional
	InMemory *InMemoryDriver `json:"inMemory,omitempty"`

	// VSphere makes machines by cloning VM templates in a vCenter, and gives each cluster's
	// control plane a virtual IP from an address pool, announced by kube-vip on its machines.
	// +optional
	VSphere *VSphereDriver `json:"vsphere,omitempty"`
}

// InMemoryDriver configures the in-memory cloud.
type InMemoryDriver struct {
	// BootDelay is how long a new instance takes to boot; 0s boots at once.
	// +optional
	// +kubebuilder:default="2s"
	BootDelay *metav1.Duration `json:"bootDelay,omitempty"`

	// BindAddress is the IP address load balancer listeners bind to.
	// +optional
	// +kubebuilder:default="127.0.0.1"
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",message="bindAddress must be an IP address"
	BindAddress string `json:"bindAddress,omitempty"`

	// PortRange is the range load balancer listeners take their ports from. Unset lets the
	// driver use its default range.
	// +optional
	PortRange *PortRange `json:"portRange,omitempty"`

	// FailureDomains the cloud places instances in. Unset lets the driver use its default.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:items:MaxLength=63
	FailureDomains []string `json:"failureDomains,omitempty"`

	// Endpoint is the API of an in-memory cloud running as its own process (cmd/inmemory-cloud,
	// which capstan up runs), e.g. http://127.0.0.1:7443. The cloud's machines, load balancers and
	// workload clusters then outlive the provider. Unset runs the cloud inside the provider,
	// where a provider restart loses them.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="isURL(self) && self.startsWith('http://')",message="endpoint must be an http:// URL"
	Endpoint string `json:"endpoint,omitempty"`

	// Faults the cloud injects, for tests and benchmarks of what Capstan does when a cloud
	// misbehaves. Unset, the cloud never fails on its own.
	// +optional
	Faults *InMemoryFaults `json:"faults,omitempty"`
}

// InMemoryFaults are failures the in-memory cloud injects at random, each call on its own.
type InMemoryFaults struct {
	// CreateErrorPercent of instance and load balancer creations are refused, as a cloud's API
	// refuses a call.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	CreateErrorPercent int32 `json:"createErrorPercent,omitempty"`

	// DeleteErrorPercent of deletions are refused.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	DeleteErrorPercent int32 `json:"deleteErrorPercent,omitempty"`

	// Latency is added to every call of the cloud's API.
	// +optional
	Latency *metav1.Duration `json:"latency,omitempty"`

	// BootFailurePercent of instances fail to boot: they end Failed, as a machine whose image
	// does not start.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	BootFailurePercent int32 `json:"bootFailurePercent,omitempty"`

	// WorkerDeathPercent of worker machines die workerLifetime after they boot: they end Failed
	// and their Node leaves the cluster, as a machine whose host failed.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	WorkerDeathPercent int32 `json:"workerDeathPercent,omitempty"`

	// WorkerLifetime is how long a worker that dies runs first.
	// +optional
	// +kubebuilder:default="60s"
	WorkerLifetime *metav1.Duration `json:"workerLifetime,omitempty"`
}

// DefaultInMemoryFailureDomains are the failure domains of an in-memory cloud that lists none.
var DefaultInMemoryFailureDomains = []string{"fd-a", "fd-b", "fd-c"}

// FailureDomains returns the failure domains the selected cloud places instances in: the
// configured ones, or the driver's defaults.
func (d DriverConfig) FailureDomains() []string {
	if m := d.InMemory; m != nil {
		if len(m.FailureDomains) > 0 {
			return m.FailureDomains
		}
		return DefaultInMemoryFailureDomains
	}
	if v := d.VSphere; v != nil {
		out := make([]string, 0, len(v.FailureDomains))
		for _, fd := range v.FailureDomains {
			out = append(out, fd.Name)
		}
		return out
	}
	return nil
}

// PortRange is an inclusive range of TCP ports.
// +kubebuilder:validation:XValidation:rule="self.min <= self.max",message="min must not be greater than max"
type PortRange struct {
	// Min is the lowest port of the range.
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	Min int32 `json:"min"`

	// Max is the highest port of the range.
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	Max int32 `json:"max"`
}

// ProviderCredentials says where the driver's credentials come from.
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="secretRef is required when source is Secret"
// +kubebuilder:validation:XValidation:rule="self.source != 'Environment' || has(self.env)",message="env is required when source is Environment"
// +kubebuilder:validation:XValidation:rule="self.source != 'Filesystem' || has(self.fs)",message="fs is required when source is Filesystem"
type ProviderCredentials struct {
	// Source of the credentials.
	// +kubebuilder:validation:Enum=None;Secret;Environment;Filesystem
	// +kubebuilder:default=None
	// +optional
	Source xpv2.CredentialsSource `json:"source,omitempty"`

	xpv2.CommonCredentialSelectors `json:",inline"`
}

// InstanceSize is a named machine shape.
type InstanceSize struct {
	// Name an Instance uses to ask for this size.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

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

// ProviderConfigStatus is the observed state of a provider config.
type ProviderConfigStatus struct {
	xpv2.ProviderConfigStatus `json:",inline"`
}

// +kubebuilder:object:root=true

// A ProviderConfig configures the Capstan provider for the managed resources of its namespace.
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,capstan}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList is a list of ProviderConfigs.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfig configures the Capstan provider for managed resources of any namespace.
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,capstan}
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigList is a list of ClusterProviderConfigs.
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}
