/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

func TestLocalReferences(t *testing.T) {
	withRefs := func(refs ...xpv2.NamespacedReference) lbModifier {
		return func(cr *v1alpha1.LoadBalancer) { cr.Spec.ForProvider.Backends.InstanceRefs = refs }
	}
	withSelectorNamespace := func(ns string) lbModifier {
		return func(cr *v1alpha1.LoadBalancer) {
			cr.Spec.ForProvider.Backends.InstanceSelector = &xpv2.NamespacedSelector{Namespace: ns}
		}
	}
	type want struct {
		resolved bool
		err      error
	}
	cases := map[string]struct {
		reason string
		cr     *v1alpha1.LoadBalancer
		want   want
	}{
		"Local": {
			reason: "References without a namespace, or with the LoadBalancer's own, are resolved.",
			cr:     loadBalancer(withRefs(xpv2.NamespacedReference{Name: "cp-0"}, xpv2.NamespacedReference{Name: "cp-1", Namespace: namespace}), withSelectorNamespace(namespace)),
			want:   want{resolved: true},
		},
		"OtherNamespaceRef": {
			reason: "A reference into another namespace is refused, naming the field.",
			cr:     loadBalancer(withRefs(xpv2.NamespacedReference{Name: "cp-0"}, xpv2.NamespacedReference{Name: "cp-1", Namespace: "team-b"})),
			want:   want{err: errors.Errorf(errFmtRefNamespace, 1, "team-b", namespace)},
		},
		"OtherNamespaceSelector": {
			reason: "A selector of another namespace is refused, naming the field.",
			cr:     loadBalancer(withSelectorNamespace("team-b")),
			want:   want{err: errors.Errorf(errFmtSelectorNamespace, "team-b", namespace)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resolved := false
			r := localReferences{managed.ReferenceResolverFn(func(context.Context, resource.Managed) error {
				resolved = true
				return nil
			})}
			err := r.ResolveReferences(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nResolveReferences(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.resolved, resolved); diff != "" {
				t.Errorf("%s\nResolveReferences(...): -want resolved, +got resolved:\n%s", tc.reason, diff)
			}
		})
	}
}
