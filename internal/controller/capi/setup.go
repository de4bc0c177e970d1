/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capi

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/capi/capstancluster"
	"github.com/capstan-dev/capstan/internal/controller/capi/capstanmachine"
)

const (
	errSetupCluster = "cannot set up the CapstanCluster controller"
	errSetupMachine = "cannot set up the CapstanMachine controller"
)

// AddToScheme adds the kinds the CapstanCluster and CapstanMachine controllers read besides the
// provider's own: Cluster API's core kinds and the Capstan infrastructure kinds.
func AddToScheme(s *runtime.Scheme) error {
	sb := runtime.NewSchemeBuilder(clusterv1.AddToScheme, infrav1.AddToScheme)
	return sb.AddToScheme(s)
}

// Setup adds the CapstanCluster and CapstanMachine controllers to mgr. The manager's scheme must
// hold AddToScheme's kinds and the provider's Instance and LoadBalancer kinds, and ApplyCRDs must
// have run.
func Setup(ctx context.Context, mgr ctrl.Manager, o controller.Options) error {
	co := o.ForControllerRuntime()
	if err := (&capstancluster.Reconciler{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr, co); err != nil {
		return errors.Wrap(err, errSetupCluster)
	}
	return errors.Wrap((&capstanmachine.Reconciler{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr, co), errSetupMachine)
}

// SetupGated is Setup once the Instance and LoadBalancer kinds exist: they come with the provider
// package, which may be installed after the provider starts. o.Gate must be set.
func SetupGated(ctx context.Context, mgr ctrl.Manager, o controller.Options) error {
	o.Gate.Register(func() {
		if err := Setup(ctx, mgr, o); err != nil {
			// NOTE: the manager already runs; a provider silently missing these controllers is
			// worse than one that restarts.
			panic(err)
		}
	}, computev1alpha1.InstanceGroupVersionKind, networkv1alpha1.LoadBalancerGroupVersionKind)
	return nil
}
