/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

const (
	errNotLoadBalancer      = "managed resource is not a LoadBalancer"
	errResolve              = "cannot resolve spec.forProvider.backends"
	errUpdateResolved       = "cannot update the LoadBalancer with its resolved backends"
	errFmtRefNamespace      = "cannot resolve spec.forProvider.backends.instanceRefs[%d]: its namespace %q must be the LoadBalancer's own (%q) or unset"
	errFmtSelectorNamespace = "cannot resolve spec.forProvider.backends.instanceSelector: its namespace %q must be the LoadBalancer's own (%q) or unset"
)

// localReferences resolves a LoadBalancer's Instance references after refusing any that reach
// into another namespace: the backends of a LoadBalancer are
// Instances of its own namespace. NOTE: the resolver itself writes the namespace into the
// references a selector resolves, so the API cannot simply forbid the field.
type localReferences struct {
	managed.ReferenceResolver
}

// ResolveReferences refuses references to other namespaces, then resolves the rest.
func (r localReferences) ResolveReferences(ctx context.Context, mg resource.Managed) error {
	lb, ok := mg.(*v1alpha1.LoadBalancer)
	if !ok {
		return errors.New(errNotLoadBalancer)
	}
	b := lb.Spec.ForProvider.Backends
	for i, ref := range b.InstanceRefs {
		if ref.Namespace != "" && ref.Namespace != lb.GetNamespace() {
			return errors.Errorf(errFmtRefNamespace, i, ref.Namespace, lb.GetNamespace())
		}
	}
	if s := b.InstanceSelector; s != nil && s.Namespace != "" && s.Namespace != lb.GetNamespace() {
		return errors.Errorf(errFmtSelectorNamespace, s.Namespace, lb.GetNamespace())
	}
	return r.ReferenceResolver.ResolveReferences(ctx, mg)
}

// updatingResolver resolves a LoadBalancer's references with its generated resolver and, when
// they changed, writes the LoadBalancer back with an update. NOTE: crossplane-runtime's
// APISimpleReferenceResolver server-side applies a merge patch of the change; a field that did
// not change is left out of that apply and so removed, which with resolve policy Always flips
// instanceIds and instanceRefs on every reconcile.
type updatingResolver struct {
	kube client.Client
}

// ResolveReferences resolves the references of mg and saves them when they changed.
func (r updatingResolver) ResolveReferences(ctx context.Context, mg resource.Managed) error {
	lb, ok := mg.(*v1alpha1.LoadBalancer)
	if !ok {
		return errors.New(errNotLoadBalancer)
	}
	before := lb.Spec.ForProvider.Backends.DeepCopy()
	if err := lb.ResolveReferences(ctx, r.kube); err != nil {
		return errors.Wrap(err, errResolve)
	}
	if equality.Semantic.DeepEqual(before, &lb.Spec.ForProvider.Backends) {
		return nil
	}
	return errors.Wrap(r.kube.Update(ctx, lb), errUpdateResolved)
}
