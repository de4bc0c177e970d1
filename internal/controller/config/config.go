/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package config resolves a managed resource's provider config to the cloud driver it selects, and
// runs the controllers that account for provider config usage.
package config

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigs;clusterproviderconfigs,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigs/status;clusterproviderconfigs/status,verbs=update;patch
// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigusages,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Setup adds the controllers that count the users of ProviderConfigs and ClusterProviderConfigs
// and hold back their deletion while they are in use.
func Setup(mgr ctrl.Manager, o controller.Options) error {
	// NOTE: namespaced managed resources record their use of either kind in a ProviderConfigUsage
	// in their own namespace (crossplane-runtime's usage tracker), labelled with the config's kind,
	// so both controllers count ProviderConfigUsages.
	usage := resource.ProviderConfigKinds{
		Usage:     v1alpha1.ProviderConfigUsageGroupVersionKind,
		UsageList: v1alpha1.ProviderConfigUsageListGroupVersionKind,
	}

	pc := usage
	pc.Config = v1alpha1.ProviderConfigGroupVersionKind
	if err := setup(mgr, o, v1alpha1.ProviderConfigGroupKind, pc, &v1alpha1.ProviderConfig{}); err != nil {
		return err
	}

	cpc := usage
	cpc.Config = v1alpha1.ClusterProviderConfigGroupVersionKind
	return setup(mgr, o, v1alpha1.ClusterProviderConfigGroupKind, cpc, &v1alpha1.ClusterProviderConfig{})
}

func setup(mgr ctrl.Manager, o controller.Options, groupKind string, of resource.ProviderConfigKinds, pc resource.ProviderConfig) error {
	name := providerconfig.ControllerName(groupKind)
	r := providerconfig.NewReconciler(mgr, of,
		providerconfig.WithLogger(o.Logger.WithValues("controller", name)),
		providerconfig.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime's events still need a record.EventRecorder.

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(pc).
		Watches(&v1alpha1.ProviderConfigUsage{}, &resource.EnqueueRequestForProviderConfig{Kind: of.Config.Kind}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}
