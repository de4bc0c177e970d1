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

	"google.golang.org/protobuf/types/known/structpb"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
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
