/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package apis holds Capstan's Kubernetes API types, and adds the provider's managed resource and
// provider config kinds to a scheme.
package apis

import (
	"k8s.io/apimachinery/pkg/runtime"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// providerSchemes add the kinds the provider's managed resource controllers serve.
var providerSchemes = runtime.SchemeBuilder{
	v1alpha1.AddToScheme,
	computev1alpha1.AddToScheme,
	networkv1alpha1.AddToScheme,
}

// AddToScheme adds the provider's managed resource and provider config kinds to s.
func AddToScheme(s *runtime.Scheme) error {
	return providerSchemes.AddToScheme(s)
}
