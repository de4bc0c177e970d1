/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// applyCluster applies the composed Cluster. The plane's Cluster webhook judges a Cluster
// against the plane's ClusterClass, so when the plan changes the class (or makes it), Cluster
// API's webhook runs here instead, against the plan's class (see applyHere).
func (c *composer) applyCluster(ctx context.Context, u *unstructured.Unstructured, classChanged bool, webhook *coreadmission.Cluster) error {
	if !classChanged {
		if err := c.ov.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.FieldOwner(c.fieldOwner()), client.ForceOwnership); err != nil {
			return &Refusal{Message: fmt.Sprintf("Cluster %s: %v", u.GetName(), err)}
		}
		c.composed(resCluster, u)
		return nil
	}
	return c.applyHere(ctx, resCluster, u, &clusterv1.Cluster{}, func(old, cur client.Object) error {
		cl := cur.(*clusterv1.Cluster) //nolint:forcetypeassert // made above
		if err := webhook.Default(ctx, cl); err != nil {
			return err
		}
		if old == nil {
			_, err := webhook.ValidateCreate(ctx, cl)
			return err
		}
		_, err := webhook.ValidateUpdate(ctx, old.(*clusterv1.Cluster), cl) //nolint:forcetypeassert // made above
		return err
	})
}

// retry applies what the plane refused as invalid once more, now that the rest is applied, as
// Crossplane's next reconcile would. A ClusterClass the plane refused because a Cluster still
// uses what it drops is judged by Cluster API's webhook here, which sees the plan's Cluster.
func (c *composer) retry(ctx context.Context) error {
	for _, name := range slices.Sorted(maps.Keys(c.pending)) {
		u := c.pending[name]
		if u.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: clusterv1.GroupVersion.Group, Kind: "ClusterClass"}) {
			err := c.ov.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.FieldOwner(c.fieldOwner()), client.ForceOwnership)
			if err != nil {
				return &Refusal{Message: fmt.Sprintf("%s %s: %v", u.GetKind(), u.GetName(), err)}
			}
			c.composed(name, u)
			continue
		}
		webhook := &coreadmission.ClusterClass{Client: c.ov}
		err := c.applyHere(ctx, name, u, &clusterv1.ClusterClass{}, func(old, cur client.Object) error {
			if old == nil {
				_, err := webhook.ValidateCreate(ctx, cur.(*clusterv1.ClusterClass)) //nolint:forcetypeassert // made above
				return err
			}
			_, err := webhook.ValidateUpdate(ctx, old.(*clusterv1.ClusterClass), cur.(*clusterv1.ClusterClass)) //nolint:forcetypeassert // made above
			return err
		})
		if err != nil {
			return err
		}
	}
	c.pending = map[string]*unstructured.Unstructured{}
	return nil
}

// applyHere applies u without the plane's admission, for the kinds whose webhooks read other
// objects, which the plane has as they are and not as the plan leaves them. The object is the
// plan's version with every top-level spec field the function composes replaced, as
// server-side apply leaves fields a manager owns whole; admit runs Cluster API's webhook on it
// against the overlay. into is an empty object of u's kind.
func (c *composer) applyHere(ctx context.Context, name string, u *unstructured.Unstructured, into client.Object, admit func(old, cur client.Object) error) error {
	old := into.DeepCopyObject().(client.Object) //nolint:forcetypeassert // a copy of an object
	switch err := c.ov.Get(ctx, client.ObjectKeyFromObject(u), old); {
	case apierrors.IsNotFound(err):
		old = nil
	case err != nil:
		return err
	}
	cur := u.DeepCopy()
	if old != nil {
		var err error
		if cur, err = toUnstructured(old, c.ov.Scheme()); err != nil {
			return err
		}
		spec, _ := cur.Object["spec"].(map[string]any)
		spec = maps.Clone(spec)
		if spec == nil {
			spec = map[string]any{}
		}
		composedSpec, _ := u.Object["spec"].(map[string]any)
		maps.Copy(spec, composedSpec)
		if !equality.Semantic.DeepEqual(cur.Object["spec"], any(spec)) {
			cur.SetGeneration(cur.GetGeneration() + 1)
		}
		cur.Object["spec"] = spec
		cur.SetLabels(merged(cur.GetLabels(), u.GetLabels()))
		cur.SetAnnotations(merged(cur.GetAnnotations(), u.GetAnnotations()))
	} else {
		// As the API server would make it: Cluster API's reconcilers read the managed fields.
		cur.SetUID(types.UID(uuid.NewString()))
		cur.SetGeneration(1)
		cur.SetManagedFields([]metav1.ManagedFieldsEntry{{
			Manager: c.fieldOwner(), Operation: metav1.ManagedFieldsOperationApply, APIVersion: u.GetAPIVersion(),
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte("{}")},
		}})
	}
	if err := fromUnstructured(cur, into); err != nil {
		return err
	}
	if err := admit(old, into); err != nil {
		return &Refusal{Message: fmt.Sprintf("%s %s: %v", u.GetKind(), u.GetName(), err)}
	}
	if err := c.ov.Update(ctx, into); err != nil {
		return err
	}
	c.composed(name, u)
	return nil
}

func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}
