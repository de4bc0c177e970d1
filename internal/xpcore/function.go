/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package xpcore

import (
	"context"
	"net"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
)

// CapabilityComposition is the capability a function needs for core to run it in a Composition's
// pipeline.
const CapabilityComposition = "composition"

const (
	errFunctionName    = "function name is required"
	errFunctionImage   = "function %q: image is required (Crossplane refuses a Function without a fully qualified package)"
	errFunctionAddress = "function %q: endpoint %q is not host:port"
	errApplyFunction   = "cannot create Function %q"
	errApplyRevision   = "cannot create FunctionRevision %q"
	errRevisionStatus  = "cannot set the endpoint of FunctionRevision %q"
)

// Function is a composition function served outside the cluster.
type Function struct {
	// Name is the name Compositions use in functionRef.name.
	Name string

	// Image is the function's package reference, e.g. xpkg.capstan.dev/capstan/function-clusterclaim:v0.1.0.
	// Core never pulls it (both objects are paused); it is there because the API requires one.
	Image string

	// Endpoint is where core dials the function, host:port, e.g. 127.0.0.1:9443. The function must
	// serve mutual TLS with a certificate from WriteServerCerts.
	Endpoint string
}

// RegisterFunction records fn with core: a Function and an active FunctionRevision, both paused so
// the package manager never tries to pull or run them, with the revision's status naming fn's
// endpoint and the composition capability, which is where core's function runner finds it.
// Registering a function again updates its endpoint.
func RegisterFunction(ctx context.Context, kube client.Client, fn Function) error {
	if err := fn.validate(); err != nil {
		return err
	}
	paused := map[string]string{meta.AnnotationKeyReconciliationPaused: "true"}

	f := &pkgv1.Function{ObjectMeta: metav1.ObjectMeta{Name: fn.Name, Annotations: paused}}
	f.Spec.Package = fn.Image
	if err := kube.Create(ctx, f); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return errors.Wrapf(err, errApplyFunction, fn.Name)
		}
		if err := kube.Get(ctx, client.ObjectKeyFromObject(f), f); err != nil {
			return errors.Wrapf(err, errApplyFunction, fn.Name)
		}
	}

	r := &pkgv1.FunctionRevision{ObjectMeta: metav1.ObjectMeta{
		Name:        fn.Name + "-external",
		Annotations: paused,
		Labels:      map[string]string{pkgv1.LabelParentPackage: fn.Name},
		// The revision goes with its Function, as one the package manager made would.
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: pkgv1.SchemeGroupVersion.String(), Kind: pkgv1.FunctionKind,
			Name: f.Name, UID: f.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}},
	}}
	r.Spec.DesiredState = pkgv1.PackageRevisionActive
	r.Spec.Package = fn.Image
	r.Spec.Revision = 1
	if err := kube.Create(ctx, r); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return errors.Wrapf(err, errApplyRevision, r.Name)
		}
		if err := kube.Get(ctx, client.ObjectKeyFromObject(r), r); err != nil {
			return errors.Wrapf(err, errApplyRevision, r.Name)
		}
	}
	// A merge patch, not an update: core touches a fresh revision too, and these two fields are
	// this function's alone.
	orig := r.DeepCopy()
	r.Status.Endpoint = fn.Endpoint
	r.Status.Capabilities = []string{CapabilityComposition}
	return errors.Wrapf(kube.Status().Patch(ctx, r, client.MergeFrom(orig)), errRevisionStatus, r.Name)
}

func (fn Function) validate() error {
	if fn.Name == "" {
		return errors.New(errFunctionName)
	}
	if fn.Image == "" {
		return errors.Errorf(errFunctionImage, fn.Name)
	}
	if _, _, err := net.SplitHostPort(fn.Endpoint); err != nil {
		return errors.Errorf(errFunctionAddress, fn.Name, fn.Endpoint)
	}
	return nil
}
