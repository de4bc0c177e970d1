/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

func TestBackendsOf(t *testing.T) {
	lb := func(name string, b v1alpha1.Backends) v1alpha1.LoadBalancer {
		return v1alpha1.LoadBalancer{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec:       v1alpha1.LoadBalancerSpec{ForProvider: v1alpha1.LoadBalancerParameters{Backends: b}},
		}
	}
	lbs := []v1alpha1.LoadBalancer{
		lb("by-ref", v1alpha1.Backends{InstanceRefs: []xpv2.NamespacedReference{{Name: "other"}, {Name: "cp-0"}}}),
		lb("by-selector", v1alpha1.Backends{InstanceSelector: &xpv2.NamespacedSelector{MatchLabels: map[string]string{"role": "control-plane"}}}),
		lb("by-id", v1alpha1.Backends{InstanceIDs: []string{"team-a.cp-0"}}),
		lb("unrelated", v1alpha1.Backends{InstanceRefs: []xpv2.NamespacedReference{{Name: "other"}}}),
	}
	req := func(name string) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: namespace, Name: name}}
	}
	cases := map[string]struct {
		reason string
		kube   client.Reader
		labels map[string]string
		want   []reconcile.Request
	}{
		"ReferencedOnly": {
			reason: "An Instance without labels wakes the LoadBalancers that reference it by name.",
			kube:   listOf(lbs...),
			want:   []reconcile.Request{req("by-ref")},
		},
		"ReferencedAndSelected": {
			reason: "An Instance with matching labels also wakes the LoadBalancers that select it.",
			kube:   listOf(lbs...),
			labels: map[string]string{"role": "control-plane", "cluster": "a"},
			want:   []reconcile.Request{req("by-ref"), req("by-selector")},
		},
		"ListError": {
			reason: "When LoadBalancers cannot be listed, none is woken; their poll catches up.",
			kube:   &test.MockClient{MockList: test.NewMockListFn(errBoom)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			i := &computev1alpha1.Instance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "cp-0", Labels: tc.labels}}
			got := backendsOf(tc.kube)(context.Background(), i)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbackendsOf(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// listOf is a reader that lists lbs.
func listOf(lbs ...v1alpha1.LoadBalancer) client.Reader {
	return &test.MockClient{MockList: test.NewMockListFn(nil, func(l client.ObjectList) error {
		l.(*v1alpha1.LoadBalancerList).Items = lbs
		return nil
	})}
}
