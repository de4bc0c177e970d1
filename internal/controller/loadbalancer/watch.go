/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

// backendsOf maps an Instance to the LoadBalancers of its namespace that name it as a backend, by
// reference or selector, so that they resolve it as soon as it changes (gets its external name,
// goes away) rather than at their next poll.
func backendsOf(kube client.Reader) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		l := &v1alpha1.LoadBalancerList{}
		if err := kube.List(ctx, l, client.InNamespace(o.GetNamespace())); err != nil {
			// NOTE: nothing to return an error to; the LoadBalancers' next poll catches up.
			return nil
		}
		var reqs []reconcile.Request
		for _, lb := range l.Items {
			if selects(lb.Spec.ForProvider.Backends, o) {
				reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: lb.GetNamespace(), Name: lb.GetName()}})
			}
		}
		return reqs
	}
}

// selects reports whether b names o by reference or selects it by label.
func selects(b v1alpha1.Backends, o client.Object) bool {
	for _, r := range b.InstanceRefs {
		if r.Name == o.GetName() {
			return true
		}
	}
	s := b.InstanceSelector
	return s != nil && labels.SelectorFromSet(s.MatchLabels).Matches(labels.Set(o.GetLabels()))
}
