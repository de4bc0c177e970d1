/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1alpha1 contains Capstan's Cluster API infrastructure provider types: CapstanCluster,
// CapstanMachine and their templates. They follow the Cluster API v1beta2 infrastructure contract;
// their infrastructure is Capstan's own managed resources (LoadBalancer, Instance).
// +kubebuilder:object:generate=true
// +groupName=infrastructure.cluster.x-k8s.io
// +versionName=v1alpha1
package v1alpha1
