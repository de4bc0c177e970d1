/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errFmtGet    = "cannot get load balancer %q from the cloud"
	errFmtCreate = "cannot create load balancer %q in the cloud"
	errFmtUpdate = "cannot update load balancer %q in the cloud"
	errFmtDelete = "cannot delete load balancer %q from the cloud"
)

// external manages LoadBalancers in one cloud.
type external struct {
	driver cloud.Driver
}

// Observe reports whether the load balancer exists and serves the backends and health check of
// spec.forProvider, and records what the cloud reports in status.atProvider. When the load
// balancer is gone, status.atProvider is kept: Create asks for the same port again.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.LoadBalancer) (managed.ExternalObservation, error) {
	id := meta.GetExternalName(cr)
	if id == "" {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	lb, err := e.driver.GetLoadBalancer(ctx, id)
	if cloud.IsNotFound(err) {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errFmtGet, id)
	}

	cr.Status.AtProvider = observation(lb)
	cr.SetConditions(condition(lb))
	d := diff(spec(cr), lb.Spec)
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  d == "",
		Diff:              d,
		ConnectionDetails: connectionDetails(lb),
	}, nil
}

// Create creates the load balancer under an ID derived from the LoadBalancer's namespace and
// name, on the port it had in an earlier life if any, or adopts the load balancer that already
// has that ID.
func (e *external) Create(ctx context.Context, cr *v1alpha1.LoadBalancer) (managed.ExternalCreation, error) {
	id := meta.GetExternalName(cr)
	if id == "" {
		id = externalID(cr)
	}
	cr.SetConditions(xpv2.Creating())

	lb, err := e.driver.GetLoadBalancer(ctx, id)
	if err == nil {
		meta.SetExternalName(cr, id)
		return managed.ExternalCreation{ConnectionDetails: connectionDetails(lb)}, nil
	}
	if !cloud.IsNotFound(err) {
		return managed.ExternalCreation{}, errors.Wrapf(err, errFmtGet, id)
	}

	lb, err = e.driver.CreateLoadBalancer(ctx, id, spec(cr))
	if err != nil {
		return managed.ExternalCreation{}, errors.Wrapf(err, errFmtCreate, id)
	}
	meta.SetExternalName(cr, id)
	return managed.ExternalCreation{ConnectionDetails: connectionDetails(lb)}, nil
}

// Update replaces the backends and health check of the load balancer.
func (e *external) Update(ctx context.Context, cr *v1alpha1.LoadBalancer) (managed.ExternalUpdate, error) {
	id := meta.GetExternalName(cr)
	lb, err := e.driver.UpdateLoadBalancer(ctx, id, spec(cr))
	if err != nil {
		return managed.ExternalUpdate{}, errors.Wrapf(err, errFmtUpdate, id)
	}
	return managed.ExternalUpdate{ConnectionDetails: connectionDetails(lb)}, nil
}

// Delete deletes the load balancer and frees its port. Deleting a load balancer that is already
// gone succeeds.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.LoadBalancer) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	id := meta.GetExternalName(cr)
	return managed.ExternalDelete{}, errors.Wrapf(e.driver.DeleteLoadBalancer(ctx, id), errFmtDelete, id)
}

// Disconnect does nothing: drivers are shared and outlive a reconcile.
func (e *external) Disconnect(_ context.Context) error { return nil }

// connectionDetails are the endpoint of lb, for the LoadBalancer's connection Secret.
func connectionDetails(lb *cloud.LoadBalancer) managed.ConnectionDetails {
	if lb == nil || lb.Host == "" {
		return nil
	}
	return managed.ConnectionDetails{
		xpv2.CredentialsSecretEndpointKey: []byte(lb.Host),
		xpv2.CredentialsSecretPortKey:     []byte(strconv.Itoa(int(lb.Port))),
	}
}
