/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package instance

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errFmtGet     = "cannot get instance %q from the cloud"
	errFmtCreate  = "cannot create instance %q in the cloud"
	errFmtDelete  = "cannot delete instance %q from the cloud"
	errFmtReplace = "cannot change instance %q in place: it differs from spec.forProvider in %s; delete the Instance to replace it"
)

// external manages Instances in one cloud.
type external struct {
	kube   client.Reader
	driver cloud.Driver
	sizes  []apisv1alpha1.InstanceSize
}

// Observe reports whether the instance exists and matches spec.forProvider, records what the
// cloud reports in status.atProvider, and late-initializes the failure domain the cloud chose.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.Instance) (managed.ExternalObservation, error) {
	id := meta.GetExternalName(cr)
	if id == "" {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	inst, err := e.driver.GetInstance(ctx, id)
	if cloud.IsNotFound(err) {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errFmtGet, id)
	}

	cr.Status.AtProvider = observation(inst)
	cr.SetConditions(condition(inst))
	lateInit := lateInitialize(&cr.Spec.ForProvider, inst)

	want, err := resources(cr.Spec.ForProvider, e.sizes)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	d := diff(cr.Spec.ForProvider, want, inst)
	return managed.ExternalObservation{
		ResourceExists:          true,
		ResourceUpToDate:        d == "",
		ResourceLateInitialized: lateInit,
		Diff:                    d,
	}, nil
}

// Create creates the instance under an ID derived from the Instance's namespace and name, or
// adopts the instance that already has that ID.
func (e *external) Create(ctx context.Context, cr *v1alpha1.Instance) (managed.ExternalCreation, error) {
	id := meta.GetExternalName(cr)
	if id == "" {
		id = externalID(cr)
	}
	cr.SetConditions(xpv2.Creating())

	_, err := e.driver.GetInstance(ctx, id)
	if err == nil {
		meta.SetExternalName(cr, id)
		return managed.ExternalCreation{}, nil
	}
	if !cloud.IsNotFound(err) {
		return managed.ExternalCreation{}, errors.Wrapf(err, errFmtGet, id)
	}

	spec, err := e.spec(ctx, cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if _, err := e.driver.CreateInstance(ctx, id, spec); err != nil {
		return managed.ExternalCreation{}, errors.Wrapf(err, errFmtCreate, id)
	}
	meta.SetExternalName(cr, id)
	return managed.ExternalCreation{}, nil
}

// Update is only called when the instance differs from spec.forProvider. An instance cannot
// change in place, so Update says how it differs.
func (e *external) Update(ctx context.Context, cr *v1alpha1.Instance) (managed.ExternalUpdate, error) {
	id := meta.GetExternalName(cr)
	inst, err := e.driver.GetInstance(ctx, id)
	if err != nil {
		return managed.ExternalUpdate{}, errors.Wrapf(err, errFmtGet, id)
	}
	want, err := resources(cr.Spec.ForProvider, e.sizes)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	if d := diff(cr.Spec.ForProvider, want, inst); d != "" {
		return managed.ExternalUpdate{}, errors.Errorf(errFmtReplace, id, d)
	}
	return managed.ExternalUpdate{}, nil
}

// Delete deletes the instance. Deleting an instance that is already gone succeeds.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.Instance) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	id := meta.GetExternalName(cr)
	return managed.ExternalDelete{}, errors.Wrapf(e.driver.DeleteInstance(ctx, id), errFmtDelete, id)
}

// Disconnect does nothing: drivers are shared and outlive a reconcile.
func (e *external) Disconnect(_ context.Context) error { return nil }
