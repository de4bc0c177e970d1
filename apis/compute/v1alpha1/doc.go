/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1alpha1 holds the compute.capstan.dev managed resources: Instance, a machine in the
// cloud that a provider config selects.
// +kubebuilder:object:generate=true
// +groupName=compute.capstan.dev
// +versionName=v1alpha1
package v1alpha1
