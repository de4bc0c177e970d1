/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/capstan-dev/capstan/functions/clusterclaim/fn"
	"github.com/capstan-dev/capstan/functions/clusterclaim/input/v1beta1"
)

// What Crossplane v2 names and marks composed resources with; its composite reconciler's
// constants (internal to Crossplane, so restated here).
const (
	fieldOwnerComposedPrefix = "apiextensions.crossplane.io/composed"
	labelComposite           = "crossplane.io/composite"
	annotationResourceName   = "crossplane.io/composition-resource-name"

	// maxRequirementRounds is how often the function may ask for more resources, as Crossplane
	// allows.
	maxRequirementRounds = 5

	// resCluster is the composition resource name the function gives the Cluster.
	resCluster = "cluster"
)

// A Refusal is a change that would not be accepted: the API server or the function says why.
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return r.Message }

// composer runs the function of a claim's Composition the way Crossplane does, in-process, and
// applies what it composes to an overlay as Crossplane's composite reconciler would.
type composer struct {
	ov       *overlay
	claim    *unstructured.Unstructured // the claim as the plan would leave it
	live     *unstructured.Unstructured // the plane's claim; nil for a new claim
	input    *structpb.Struct
	observed map[string]*unstructured.Unstructured // composed resources by composition resource name
	pending  map[string]*unstructured.Unstructured // refused by the plane as invalid, to retry
}

// newComposer reads the claim's Composition and its composed resources from the plane.
func newComposer(ctx context.Context, ov *overlay, claim, live *unstructured.Unstructured) (*composer, error) {
	c := &composer{ov: ov, claim: claim, live: live, observed: map[string]*unstructured.Unstructured{}, pending: map[string]*unstructured.Unstructured{}}
	comp, err := c.composition(ctx)
	if err != nil {
		return nil, err
	}
	steps, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
	for _, s := range steps {
		step, _ := s.(map[string]any)
		in, _ := step["input"].(map[string]any)
		if in["apiVersion"] != v1beta1.SchemeGroupVersion.String() {
			return nil, errors.Errorf("Composition %s: step %v does not run Capstan's function; capstan plan runs only that one", comp.GetName(), step["step"])
		}
		if c.input, err = structpb.NewStruct(in); err != nil {
			return nil, err
		}
	}
	if c.input == nil {
		return nil, errors.Errorf("Composition %s has no step that runs Capstan's function", comp.GetName())
	}
	if live == nil {
		return c, nil
	}
	refs, _, _ := unstructured.NestedSlice(live.Object, "spec", "crossplane", "resourceRefs")
	for _, r := range refs {
		ref, _ := r.(map[string]any)
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(fmt.Sprint(ref["apiVersion"]))
		u.SetKind(fmt.Sprint(ref["kind"]))
		if err := ov.Get(ctx, types.NamespacedName{Namespace: live.GetNamespace(), Name: fmt.Sprint(ref["name"])}, u); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		if name := u.GetAnnotations()[annotationResourceName]; name != "" {
			c.observed[name] = u
		}
	}
	return c, nil
}

// composition is the Composition the claim selects: its own reference, else the only
// Composition of its kind.
func (c *composer) composition(ctx context.Context) (*unstructured.Unstructured, error) {
	comp := &unstructured.Unstructured{}
	comp.SetAPIVersion("apiextensions.crossplane.io/v1")
	comp.SetKind("Composition")
	for _, xr := range []*unstructured.Unstructured{c.live, c.claim} {
		if xr == nil {
			continue
		}
		if name, _, _ := unstructured.NestedString(xr.Object, "spec", "crossplane", "compositionRef", "name"); name != "" {
			return comp, c.ov.Get(ctx, types.NamespacedName{Name: name}, comp)
		}
	}
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion("apiextensions.crossplane.io/v1")
	list.SetKind("CompositionList")
	if err := c.ov.List(ctx, list); err != nil {
		return nil, err
	}
	var names []string
	for _, it := range list.Items {
		av, _, _ := unstructured.NestedString(it.Object, "spec", "compositeTypeRef", "apiVersion")
		kind, _, _ := unstructured.NestedString(it.Object, "spec", "compositeTypeRef", "kind")
		if av == c.claim.GetAPIVersion() && kind == c.claim.GetKind() {
			names = append(names, it.GetName())
			comp = it.DeepCopy()
		}
	}
	if len(names) != 1 {
		return nil, errors.Errorf("%d Compositions compose a %s (%s): name one in spec.crossplane.compositionRef", len(names), c.claim.GetKind(), strings.Join(names, ", "))
	}
	return comp, nil
}

// compose runs the function with the observed state as the overlay has it and applies its
// desired composed resources but the Cluster, which it returns: nil while the function holds
// it (a new claim's class is not reconciled yet).
func (c *composer) compose(ctx context.Context) (*unstructured.Unstructured, error) {
	for name, u := range c.observed {
		fresh := &unstructured.Unstructured{}
		fresh.SetGroupVersionKind(u.GroupVersionKind())
		if err := c.ov.Get(ctx, client.ObjectKeyFromObject(u), fresh); err != nil {
			return nil, err
		}
		c.observed[name] = fresh
	}
	rsp, err := c.run(ctx)
	if err != nil {
		return nil, err
	}
	desired := rsp.GetDesired().GetResources()
	var cluster *unstructured.Unstructured
	for _, name := range slices.Sorted(maps.Keys(desired)) {
		u := &unstructured.Unstructured{Object: desired[name].GetResource().AsMap()}
		c.asComposedBy(u, name)
		if name == resCluster {
			cluster = u
			continue
		}
		err := c.ov.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.FieldOwner(c.fieldOwner()), client.ForceOwnership)
		switch {
		case apierrors.IsInvalid(err):
			// Crossplane applies the others and tries again next time (see retry).
			c.pending[name] = u
		case err != nil:
			return nil, &Refusal{Message: fmt.Sprintf("%s %s: %v", u.GetKind(), u.GetName(), err)}
		default:
			delete(c.pending, name)
			c.composed(name, u)
		}
	}
	// Crossplane deletes what the function no longer composes.
	for _, name := range slices.Sorted(maps.Keys(c.observed)) {
		if _, ok := desired[name]; ok {
			continue
		}
		u := c.observed[name]
		if err := c.ov.Delete(ctx, u); client.IgnoreNotFound(err) != nil {
			return nil, err
		}
		c.ov.composed[keyOf(u)] = true
		delete(c.observed, name)
	}
	return cluster, nil
}

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

// composed records that the plan composed u as name.
func (c *composer) composed(name string, u *unstructured.Unstructured) {
	c.ov.composed[keyOf(u)] = true
	c.observed[name] = u
}

func keyOf(u *unstructured.Unstructured) objectKey {
	return objectKey{gk: u.GroupVersionKind().GroupKind(), namespace: u.GetNamespace(), name: u.GetName()}
}

// run calls the function until it has every resource it requires, as Crossplane's function
// runner does, and turns a fatal result into a Refusal.
func (c *composer) run(ctx context.Context) (*fnv1.RunFunctionResponse, error) {
	xr, err := structpb.NewStruct(c.claim.Object)
	if err != nil {
		return nil, err
	}
	req := &fnv1.RunFunctionRequest{
		Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: map[string]*fnv1.Resource{}},
		Desired:           &fnv1.State{},
		Input:             c.input,
		RequiredResources: map[string]*fnv1.Resources{},
	}
	for name, u := range c.observed {
		s, err := structpb.NewStruct(u.Object)
		if err != nil {
			return nil, err
		}
		req.Observed.Resources[name] = &fnv1.Resource{Resource: s}
	}
	f := fn.New(logging.NewNopLogger())
	for range maxRequirementRounds {
		rsp, err := f.RunFunction(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				return nil, &Refusal{Message: r.GetMessage()}
			}
		}
		want := rsp.GetRequirements().GetResources()
		missing := false
		for name := range want {
			if _, ok := req.RequiredResources[name]; !ok {
				missing = true
			}
		}
		if !missing {
			return rsp, nil
		}
		for name, sel := range want {
			if req.RequiredResources[name], err = c.fetch(ctx, sel); err != nil {
				return nil, err
			}
		}
	}
	return nil, errors.Errorf("the function still asked for more resources after %d rounds", maxRequirementRounds)
}

// fetch reads what a selector selects through the overlay.
func (c *composer) fetch(ctx context.Context, sel *fnv1.ResourceSelector) (*fnv1.Resources, error) {
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion(sel.GetApiVersion())
	list.SetKind(sel.GetKind() + "List")
	var items []unstructured.Unstructured
	if name := sel.GetMatchName(); name != "" {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(sel.GetApiVersion())
		u.SetKind(sel.GetKind())
		err := c.ov.Get(ctx, types.NamespacedName{Namespace: sel.GetNamespace(), Name: name}, u)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, err
		default:
			items = append(items, *u)
		}
	} else {
		opts := []client.ListOption{client.MatchingLabelsSelector{Selector: labels.SelectorFromSet(sel.GetMatchLabels().GetLabels())}}
		if ns := sel.GetNamespace(); ns != "" {
			opts = append(opts, client.InNamespace(ns))
		}
		if err := c.ov.List(ctx, list, opts...); err != nil {
			return nil, err
		}
		items = list.Items
	}
	out := &fnv1.Resources{}
	for _, it := range items {
		s, err := structpb.NewStruct(it.Object)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, &fnv1.Resource{Resource: s})
	}
	return out, nil
}

// asComposedBy marks u as composed resource name of the claim, as Crossplane does before it
// applies it.
func (c *composer) asComposedBy(u *unstructured.Unstructured, name string) {
	u.SetNamespace(c.claim.GetNamespace())
	if u.GetName() == "" {
		if o := c.observed[name]; o != nil {
			u.SetName(o.GetName())
		}
	}
	l := u.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[labelComposite] = c.claim.GetName()
	u.SetLabels(l)
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[annotationResourceName] = name
	u.SetAnnotations(a)
	if c.live != nil {
		u.SetOwnerReferences([]metav1.OwnerReference{{
			APIVersion: c.live.GetAPIVersion(), Kind: c.live.GetKind(), Name: c.live.GetName(), UID: c.live.GetUID(),
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}})
	}
}

// fieldOwner is the field manager Crossplane applies this claim's composed resources with.
func (c *composer) fieldOwner() string {
	h := sha256.Sum256([]byte(c.claim.GetName() + c.claim.GroupVersionKind().GroupKind().String()))
	return fmt.Sprintf("%s/%x", fieldOwnerComposedPrefix, h)
}
