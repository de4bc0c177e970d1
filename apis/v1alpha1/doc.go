/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package v1alpha1 holds the provider's configuration kinds: ProviderConfig, ClusterProviderConfig
// and their usages. A provider config selects the cloud driver that backs Capstan's managed
// resources and the catalogue of instance sizes.
// +kubebuilder:object:generate=true
// +groupName=capstan.dev
// +versionName=v1alpha1
package v1alpha1
