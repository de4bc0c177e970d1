/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package mroptions holds the managed reconciler options every Capstan managed resource
// controller shares, so that Instances and LoadBalancers behave alike.
package mroptions

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/capstan-dev/capstan/internal/controller/poll"
)

const errStateMetrics = "cannot register the managed resource state metrics recorder"

// Common returns the options of the managed reconciler named name: logging, events, polling,
// management policies, metrics, state metrics of the kind list lists, and change logs, as o
// configures them. The caller adds its connector and kind-specific options.
func Common(mgr ctrl.Manager, o controller.Options, name string, list resource.ManagedList) ([]managed.ReconcilerOption, error) {
	opts := []managed.ReconcilerOption{
		// NOTE: no initializer: the external name is the cloud ID, set by Create. It is derived
		// from the namespace and name, so a create that was cut short can safely be retried.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
		// NOTE: a driver finds what it created at once (cloud.Driver's contract), so there is no
		// need to wait before trusting that a resource is gone.
		managed.WithCreationGracePeriod(0),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithPollIntervalHook(poll.UntilReady(poll.PendingInterval)),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))), //nolint:staticcheck // crossplane-runtime's events still need a record.EventRecorder.
	}
	if o.Features.Enabled(feature.EnableBetaManagementPolicies) {
		opts = append(opts, managed.WithManagementPolicies())
	}
	if o.ChangeLogOptions != nil {
		opts = append(opts, managed.WithChangeLogger(o.ChangeLogOptions.ChangeLogger))
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			sm := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics, list, o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sm); err != nil {
				return nil, errors.Wrap(err, errStateMetrics)
			}
		}
	}
	return opts, nil
}
