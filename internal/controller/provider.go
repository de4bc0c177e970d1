/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package controller sets up the Capstan provider's managed resource controllers.
package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/config"
	"github.com/capstan-dev/capstan/internal/controller/instance"
	"github.com/capstan-dev/capstan/internal/controller/loadbalancer"
)

const (
	errSetupConfig       = "cannot set up the provider config controllers"
	errSetupInstance     = "cannot set up the Instance controller"
	errSetupLoadBalancer = "cannot set up the LoadBalancer controller"
)

// SetupGated adds the provider config, Instance and LoadBalancer controllers to mgr, each once
// the CRDs it serves exist (Crossplane's safe start: a managed resource kind may be activated
// after the provider starts). o.Gate must be set. Both managed resource controllers resolve
// provider configs through configs, so the Instances and LoadBalancers of one provider config
// share one cloud.
func SetupGated(mgr ctrl.Manager, o controller.Options, configs config.Resolver) error {
	o.Gate.Register(func() {
		must(config.Setup(mgr, o), errSetupConfig)
	}, v1alpha1.ProviderConfigGroupVersionKind, v1alpha1.ClusterProviderConfigGroupVersionKind, v1alpha1.ProviderConfigUsageGroupVersionKind)
	o.Gate.Register(func() {
		must(instance.Setup(mgr, o, configs), errSetupInstance)
	}, computev1alpha1.InstanceGroupVersionKind, v1alpha1.ProviderConfigUsageGroupVersionKind)
	// NOTE: LoadBalancers resolve Instance references, so they wait for the Instance kind too.
	o.Gate.Register(func() {
		must(loadbalancer.Setup(mgr, o, configs), errSetupLoadBalancer)
	}, networkv1alpha1.LoadBalancerGroupVersionKind, computev1alpha1.InstanceGroupVersionKind, v1alpha1.ProviderConfigUsageGroupVersionKind)
	return nil
}

// must panics when a gated controller cannot be set up: the manager is already running, and a
// provider that silently lacks a controller is worse than one that restarts.
func must(err error, msg string) {
	if err != nil {
		panic(errors.Wrap(err, msg))
	}
}
