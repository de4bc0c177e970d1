/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package cloud is the contract between Capstan's managed resources and the cloud that backs them:
// machines (instances) and load balancers. The in-memory driver implements it today; real clouds
// implement the same interface.
package cloud

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// ErrNotFound is returned (wrapped or not) when an instance or load balancer does not exist.
var ErrNotFound = errors.New("not found")

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound)
}

// Driver provisions instances and load balancers. Every method is safe for concurrent use.
// IDs are chosen by the caller so that a resource can be found, or made again, under the same
// identity after either side restarts.
type Driver interface {
	// CreateInstance creates an instance that boots from spec.UserData. It returns once the
	// instance exists; the instance boots in the background (InstanceStateProvisioning).
	CreateInstance(ctx context.Context, id string, spec InstanceSpec) (*Instance, error)
	// GetInstance returns the instance with this ID, or ErrNotFound.
	GetInstance(ctx context.Context, id string) (*Instance, error)
	// DeleteInstance deletes the instance. Deleting a missing instance is not an error.
	DeleteInstance(ctx context.Context, id string) error

	// CreateLoadBalancer creates a load balancer and starts its listeners.
	CreateLoadBalancer(ctx context.Context, id string, spec LoadBalancerSpec) (*LoadBalancer, error)
	// GetLoadBalancer returns the load balancer with this ID, or ErrNotFound.
	GetLoadBalancer(ctx context.Context, id string) (*LoadBalancer, error)
	// UpdateLoadBalancer replaces the backends and health check of a load balancer. Listeners
	// cannot change: their endpoint is already in every kubeconfig.
	UpdateLoadBalancer(ctx context.Context, id string, spec LoadBalancerSpec) (*LoadBalancer, error)
	// DeleteLoadBalancer stops the listeners and frees their ports. Deleting a missing load
	// balancer is not an error.
	DeleteLoadBalancer(ctx context.Context, id string) error
}

// InstanceSpec is what a machine is made from.
type InstanceSpec struct {
	// CPU cores, memory and disk of the machine.
	CPU       int32
	MemoryMiB int32
	DiskGiB   int32

	// Image the machine boots.
	Image string

	// FailureDomain the machine is placed in; empty lets the cloud choose.
	FailureDomain string

	// Network the machine is attached to; empty means the default network.
	Network string

	// UserData is the cloud-init document the machine boots from (kubeadm bootstrap data).
	UserData []byte
}

// InstanceState is where a machine is in its life.
type InstanceState string

// Instance states.
const (
	// InstanceStateProvisioning: created, not yet booted.
	InstanceStateProvisioning InstanceState = "Provisioning"
	// InstanceStateRunning: booted; its bootstrap data has been applied.
	InstanceStateRunning InstanceState = "Running"
	// InstanceStateFailed: the machine cannot boot; Instance.Message says why.
	InstanceStateFailed InstanceState = "Failed"
	// InstanceStateDeleting: deletion has started.
	InstanceStateDeleting InstanceState = "Deleting"
)

// Instance is a machine as the cloud sees it.
type Instance struct {
	ID string
	// ProviderID is the Kubernetes Node providerID of the machine, e.g. capstan://<id>.
	ProviderID    string
	State         InstanceState
	Message       string
	FailureDomain string
	Addresses     []Address
	Spec          InstanceSpec
	// LaunchTime is when the cloud created the machine: a machine made again under the same ID
	// has a later one.
	LaunchTime time.Time
}

// AddressType says what kind of address an Address is; the values match Kubernetes Node addresses.
type AddressType string

// Address types.
const (
	AddressHostname   AddressType = "Hostname"
	AddressInternalIP AddressType = "InternalIP"
	AddressExternalIP AddressType = "ExternalIP"
)

// Address is one address of an instance.
type Address struct {
	Type    AddressType
	Address string
}

// Protocol of a load balancer listener.
type Protocol string

// Listener protocols.
const (
	ProtocolTCP Protocol = "TCP"
	ProtocolTLS Protocol = "TLS"
)

// LoadBalancerSpec is what a load balancer is made from.
type LoadBalancerSpec struct {
	// Listeners accept traffic for the backends.
	Listeners []Listener
	// Backends receive the traffic.
	Backends []Backend
	// HealthCheck decides which backends are in service; nil means every backend is.
	HealthCheck *HealthCheck
}

// Listener is a port a load balancer accepts traffic on.
type Listener struct {
	// Port the backends serve on.
	Port int32
	// Protocol spoken on the port.
	Protocol Protocol
	// FrontendPort asks for this port on the load balancer's own address; 0 lets the cloud choose.
	// Set it to the port from an earlier life to keep an endpoint across restarts.
	FrontendPort int32
}

// Backend is a target of a load balancer: an instance, or a raw address.
type Backend struct {
	InstanceID string
	Address    string
}

// HealthCheck decides whether a backend is in service.
type HealthCheck struct {
	Protocol           Protocol
	Port               int32
	Path               string
	IntervalSeconds    int32
	HealthyThreshold   int32
	UnhealthyThreshold int32
}

// LoadBalancerState is where a load balancer is in its life.
type LoadBalancerState string

// Load balancer states.
const (
	LoadBalancerStateProvisioning LoadBalancerState = "Provisioning"
	LoadBalancerStateActive       LoadBalancerState = "Active"
	LoadBalancerStateFailed       LoadBalancerState = "Failed"
)

// LoadBalancer is a load balancer as the cloud sees it.
type LoadBalancer struct {
	ID      string
	Host    string
	Port    int32
	State   LoadBalancerState
	Message string
	// VirtualIP says the cloud only reserves Host: the backends announce it themselves, as
	// kube-vip does on control-plane machines, and serve its ports directly.
	VirtualIP bool
	// Backends reports each backend's health, in the order of the spec.
	Backends []BackendStatus
	Spec     LoadBalancerSpec
}

// BackendStatus is the health of one backend.
type BackendStatus struct {
	Backend
	Healthy bool
}

// An Inventory counts what a cloud holds.
type Inventory struct {
	Instances     int
	LoadBalancers int
}

// An Inventorier is a driver that can count what its cloud holds, for metrics and for tests that
// prove nothing leaked. A driver whose cloud is shared with others counts only its own.
type Inventorier interface {
	Inventory() Inventory
}
