/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// Conditions shared by CapstanCluster and CapstanMachine.
const (
	// ReadyCondition summarises the object over its whole life, deletion included. Cluster API
	// mirrors it into the Cluster's InfrastructureReady and the Machine's InfrastructureReady.
	ReadyCondition = clusterv1.ReadyCondition

	// ReadyReason: every other condition of the object is true.
	ReadyReason = clusterv1.ReadyReason
	// NotReadyReason: at least one other condition of the object is false.
	NotReadyReason = clusterv1.NotReadyReason
	// ReadyUnknownReason: no other condition is false, and at least one is unknown.
	ReadyUnknownReason = clusterv1.ReadyUnknownReason
	// DeletingReason: the object is being deleted and waits for its managed resources to go.
	DeletingReason = clusterv1.DeletingReason
)

// CapstanCluster conditions and reasons.
const (
	// LoadBalancerAvailableCondition reports whether the control-plane LoadBalancer managed
	// resource exists, is ready and has an endpoint.
	LoadBalancerAvailableCondition = "LoadBalancerAvailable"

	// LoadBalancerAvailableReason: the LoadBalancer is ready and serves the control-plane endpoint.
	LoadBalancerAvailableReason = "Available"
	// LoadBalancerProvisioningReason: the LoadBalancer exists but has no endpoint or is not ready yet.
	LoadBalancerProvisioningReason = "Provisioning"
	// LoadBalancerFailedReason: the LoadBalancer cannot be created or reports an error.
	LoadBalancerFailedReason = "Failed"
	// LoadBalancerDeletingReason: the LoadBalancer is being deleted.
	LoadBalancerDeletingReason = "Deleting"
)

// CapstanMachine conditions and reasons.
const (
	// InstanceProvisionedCondition reports whether the Instance managed resource behind the machine
	// exists and runs.
	InstanceProvisionedCondition = "InstanceProvisioned"

	// InstanceProvisionedReason: the Instance is ready and runs.
	InstanceProvisionedReason = "Provisioned"
	// WaitingForClusterInfrastructureReason: the Cluster's infrastructure is not provisioned yet.
	WaitingForClusterInfrastructureReason = clusterv1.WaitingForClusterInfrastructureReadyReason
	// WaitingForBootstrapDataReason: the Machine's bootstrap data Secret is not there yet.
	WaitingForBootstrapDataReason = clusterv1.WaitingForBootstrapDataReason
	// InstanceProvisioningReason: the Instance exists but does not run yet.
	InstanceProvisioningReason = "Provisioning"
	// InstanceFailedReason: the Instance cannot be created or reports an error.
	InstanceFailedReason = "Failed"
	// InstanceDeletingReason: the Instance is being deleted.
	InstanceDeletingReason = "Deleting"

	// LoadBalancerBackendCondition reports whether a control-plane machine is a backend of its
	// cluster's LoadBalancer. Worker machines do not carry it.
	LoadBalancerBackendCondition = "LoadBalancerBackend"

	// LoadBalancerBackendReason: the Instance is a backend of the cluster's LoadBalancer.
	LoadBalancerBackendReason = "Registered"
	// LoadBalancerBackendFailedReason: the cluster's LoadBalancer cannot be found or updated.
	LoadBalancerBackendFailedReason = "Failed"
)
