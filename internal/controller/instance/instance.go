/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package instance reconciles Instance managed resources with the cloud their provider config
// selects.
package instance

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/config"
	"github.com/capstan-dev/capstan/internal/controller/mroptions"
)

const (
	errTrackUsage    = "cannot track ProviderConfig usage"
	errResolveConfig = "cannot resolve the provider config"
)

// +kubebuilder:rbac:groups=compute.capstan.dev,resources=instances,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=compute.capstan.dev,resources=instances/status,verbs=update;patch
// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigs;clusterproviderconfigs,verbs=get;list;watch
// +kubebuilder:rbac:groups=capstan.dev,resources=providerconfigusages,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Setup adds a controller that reconciles Instances. configs resolves each Instance's provider
// config to its cloud driver.
func Setup(mgr ctrl.Manager, o controller.Options, configs config.Resolver) error {
	name := managed.ControllerName(v1alpha1.InstanceGroupKind)

	opts, err := mroptions.Common(mgr, o, name, &v1alpha1.InstanceList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.Instance](&connector{
			kube:    mgr.GetClient(),
			usage:   config.NewUsageTracker(mgr.GetClient()),
			configs: configs,
		}),
	)

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.InstanceGroupVersionKind), opts...)

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.Instance{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// connector connects an Instance to the cloud driver of its provider config.
type connector struct {
	kube    client.Reader
	usage   resource.ModernTracker
	configs config.Resolver
}

// Connect records the Instance's use of its provider config and returns a client of its cloud.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Instance) (managed.TypedExternalClient[*v1alpha1.Instance], error) {
	if err := c.usage.Track(ctx, cr); err != nil {
		return nil, errors.Wrap(err, errTrackUsage)
	}
	cfg, err := c.configs.Resolve(ctx, cr)
	if err != nil {
		return nil, errors.Wrap(err, errResolveConfig)
	}
	return &external{kube: c.kube, driver: cfg.Driver, sizes: cfg.Sizes}, nil
}
