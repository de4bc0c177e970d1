/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1alpha1 holds the ClusterClaim API: the namespaced Crossplane v2 composite resource a
// developer files to get a Kubernetes cluster. The ClusterClaim XRD is generated from these types.
// +kubebuilder:object:generate=true
// +groupName=platform.capstan.dev
// +versionName=v1alpha1
package v1alpha1
