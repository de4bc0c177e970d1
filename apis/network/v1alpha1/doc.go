/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1alpha1 holds the network.capstan.dev managed resources: LoadBalancer, an endpoint in
// the cloud that spreads traffic over instances.
// +kubebuilder:object:generate=true
// +groupName=network.capstan.dev
// +versionName=v1alpha1
package v1alpha1
