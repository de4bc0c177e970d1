/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cluster-api/util/index"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// An objectKey names one object of a kind; the version is left out, as the API server serves
// every version of an object.
type objectKey struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

// An overlay is the management plane as a plan sees it: the plane's objects with the plan's
// changes on top. Every write is sent to the plane as a dry run, so the API server defaults,
// validates and admits it (webhooks included) exactly as it would the real write, and the
// overlay keeps the result. The plane itself never changes.
//
// Cluster API's reconcilers run against an overlay unmodified: they read through it and write
// into it.
type overlay struct {
	client.Client // the plane; only the methods below read or write it

	objs     map[objectKey]*unstructured.Unstructured // nil: deleted by the plan
	composed map[objectKey]bool                       // written as Crossplane composes
	befores  map[objectKey]*unstructured.Unstructured // the plane's object, nil if it had none
	order    []objectKey                              // first change first
}

func newOverlay(plane client.Client) *overlay {
	return &overlay{Client: plane, objs: map[objectKey]*unstructured.Unstructured{}, befores: map[objectKey]*unstructured.Unstructured{}, composed: map[objectKey]bool{}}
}

// A change is one object as the plane has it and as the plan leaves it; nil is no object.
type change struct {
	before, after *unstructured.Unstructured
	composed      bool
}

// changes lists every object the plan wrote, in the order it first wrote them. composedView is
// the overlay once everything was composed: a composed object's change is the composition's, and
// what Cluster API wrote to it afterwards (an annotation on the Cluster) a change of its own.
func (o *overlay) changes(composedView map[objectKey]*unstructured.Unstructured) []change {
	out := make([]change, 0, len(o.order))
	for _, k := range o.order {
		composed, ok := composedView[k]
		if !o.composed[k] || !ok {
			out = append(out, change{before: o.befores[k], after: o.objs[k]})
			continue
		}
		out = append(out, change{before: o.befores[k], after: composed, composed: true})
		if composed != o.objs[k] {
			out = append(out, change{before: composed, after: o.objs[k]})
		}
	}
	return out
}

// specChangedOf lists the objects of a kind whose spec the plan made or changed.
func (o *overlay) specChangedOf(gk schema.GroupKind) []objectKey {
	var out []objectKey
	for _, k := range o.order {
		if k.gk == gk && o.objs[k] != nil && !equality.Semantic.DeepEqual(specOf(o.befores[k]), specOf(o.objs[k])) {
			out = append(out, k)
		}
	}
	return out
}

// lookup returns the overlay's object, and whether the overlay has one (nil: deleted).
func (o *overlay) lookup(k objectKey) (*unstructured.Unstructured, bool) {
	u, ok := o.objs[k]
	return u, ok
}

// keyOf names obj, whose kind is set or known to the scheme.
func (o *overlay) keyOf(obj runtime.Object, namespace, name string) (objectKey, schema.GroupVersionKind, error) {
	gvk, err := apiutil.GVKForObject(obj, o.Scheme())
	if err != nil {
		return objectKey{}, gvk, err
	}
	return objectKey{gk: gvk.GroupKind(), namespace: namespace, name: name}, gvk, nil
}

// store records u as the plan's version of the object k, remembering the plane's version the
// first time.
func (o *overlay) store(ctx context.Context, k objectKey, gvk schema.GroupVersionKind, u *unstructured.Unstructured) {
	if _, seen := o.objs[k]; !seen {
		before := &unstructured.Unstructured{}
		before.SetGroupVersionKind(gvk)
		if err := o.Client.Get(ctx, types.NamespacedName{Namespace: k.namespace, Name: k.name}, before); err != nil {
			before = nil
		}
		o.befores[k] = before
		o.order = append(o.order, k)
	}
	// A dry-run create has no resource version; patches with an optimistic lock need one.
	if u != nil && u.GetResourceVersion() == "" {
		u.SetResourceVersion("1")
	}
	o.objs[k] = u
}

// snapshot is the overlay's current version of every object.
func (o *overlay) snapshot() map[objectKey]*unstructured.Unstructured {
	return maps.Clone(o.objs)
}

// simulate puts u in the overlay without counting it as a change the plan makes: it stands for
// what the plan assumes happens meanwhile, such as a finished rollout.
func (o *overlay) simulate(k objectKey, u *unstructured.Unstructured) {
	o.objs[k] = u
}

// Get reads the plan's version of an object, or else the plane's.
func (o *overlay) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	k, gvk, err := o.keyOf(obj, key.Namespace, key.Name)
	if err != nil {
		return err
	}
	u, ok := o.lookup(k)
	if !ok {
		return o.Client.Get(ctx, key, obj, opts...)
	}
	if u == nil {
		return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, key.Name)
	}
	return fromUnstructured(u, obj)
}

// List lists the plane's objects with the plan's changes: changed ones replaced, deleted ones
// dropped and created ones added, as far as the options select them.
func (o *overlay) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	gvk, err := apiutil.GVKForObject(list, o.Scheme())
	if err != nil {
		return err
	}
	gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
	plane := &unstructured.UnstructuredList{}
	plane.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	// Field selectors are a cache's indexes, which the plane does not serve: they are
	// evaluated here, on the plane's objects and the plan's alike.
	planeOpts := []client.ListOption{client.InNamespace(lo.Namespace)}
	if lo.LabelSelector != nil {
		planeOpts = append(planeOpts, client.MatchingLabelsSelector{Selector: lo.LabelSelector})
	}
	if err := o.Client.List(ctx, plane, planeOpts...); err != nil {
		return err
	}
	var items []runtime.Object
	listed := map[objectKey]bool{}
	for i := range plane.Items {
		k := objectKey{gk: gvk.GroupKind(), namespace: plane.Items[i].GetNamespace(), name: plane.Items[i].GetName()}
		listed[k] = true
		u, ok := o.lookup(k)
		switch {
		case !ok:
			u = &plane.Items[i]
		case u == nil:
			continue
		}
		items = append(items, u.DeepCopy())
	}
	for _, k := range o.order {
		if _, seen := listed[k]; seen {
			continue
		}
		u := o.objs[k]
		if u == nil || k.gk != gvk.GroupKind() || (lo.Namespace != "" && k.namespace != lo.Namespace) {
			continue
		}
		if lo.LabelSelector != nil && !lo.LabelSelector.Matches(labels.Set(u.GetLabels())) {
			continue
		}
		items = append(items, u.DeepCopy())
	}
	if items, err = o.selectFields(items, lo.FieldSelector); err != nil {
		return err
	}
	if ul, ok := list.(*unstructured.UnstructuredList); ok {
		ul.Items = nil
		for _, it := range items {
			ul.Items = append(ul.Items, *it.(*unstructured.Unstructured)) //nolint:forcetypeassert // built above
		}
		return nil
	}
	typed := make([]runtime.Object, 0, len(items))
	for _, it := range items {
		if _, ok := list.(*metav1.PartialObjectMetadataList); ok {
			u := it.(*unstructured.Unstructured) //nolint:forcetypeassert // built above
			pm := &metav1.PartialObjectMetadata{}
			pm.SetGroupVersionKind(gvk)
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object["metadata"].(map[string]any), &pm.ObjectMeta); err != nil { //nolint:forcetypeassert // every object has metadata
				return err
			}
			typed = append(typed, pm)
			continue
		}
		obj, err := o.Scheme().New(gvk)
		if err != nil {
			return err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(it.(*unstructured.Unstructured).Object, obj); err != nil { //nolint:forcetypeassert // built above
			return err
		}
		typed = append(typed, obj)
	}
	return meta.SetList(list, typed)
}

// indexes are the field indexes of Cluster API's caches that the code a plan runs lists by.
var indexes = map[string]func(client.Object) []string{
	index.ClusterClassRefPath: index.ClusterByClusterClassRef,
}

// selectFields keeps the items a field selector selects, by the index of each field.
func (o *overlay) selectFields(items []runtime.Object, sel fields.Selector) ([]runtime.Object, error) {
	if sel == nil || sel.Empty() {
		return items, nil
	}
	var out []runtime.Object
	for _, it := range items {
		u := it.(*unstructured.Unstructured) //nolint:forcetypeassert // built by List
		obj, err := o.Scheme().New(u.GroupVersionKind())
		if err != nil {
			return nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
			return nil, err
		}
		keep := true
		for _, r := range sel.Requirements() {
			idx, ok := indexes[r.Field]
			if !ok {
				return nil, errors.Errorf("a plan cannot list by field %s", r.Field)
			}
			keep = keep && slices.Contains(idx(obj.(client.Object)), r.Value) //nolint:forcetypeassert // every kind here is an object
		}
		if keep {
			out = append(out, it)
		}
	}
	return out, nil
}

// Apply is a server-side apply, dry run: the plane answers with the object as it would be.
func (o *overlay) Apply(ctx context.Context, ac runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	u, ok := ac.(interface{ UnstructuredContent() map[string]any })
	if !ok {
		return errors.Errorf("a plan applies unstructured objects only, not %T", ac)
	}
	intent := &unstructured.Unstructured{Object: u.UnstructuredContent()}
	k, gvk, err := o.keyOf(intent, intent.GetNamespace(), intent.GetName())
	if err != nil {
		return err
	}
	// An object only the plan created does not exist for the plane: its uid and resource
	// version, which the plan made up, would make the dry run fail.
	prev, known := o.lookup(k)
	createdHere := known && prev != nil && o.befores[k] == nil
	if createdHere {
		unstructured.RemoveNestedField(u.UnstructuredContent(), "metadata", "uid")
		unstructured.RemoveNestedField(u.UnstructuredContent(), "metadata", "resourceVersion")
	}
	if err := o.Client.Apply(ctx, ac, append(slices.Clone(opts), client.DryRunAll)...); err != nil {
		return err
	}
	result := &unstructured.Unstructured{Object: u.UnstructuredContent()}
	if createdHere {
		result.SetUID(prev.GetUID())
		result.SetResourceVersion(prev.GetResourceVersion())
	}
	if ao := (&client.ApplyOptions{}).ApplyOptions(opts); slices.Contains(ao.DryRun, metav1.DryRunAll) {
		// The caller's own dry run (Cluster API's change detection) changes nothing.
		return nil
	}
	merged, err := o.onPlanVersion(k, result)
	if err != nil {
		return err
	}
	o.store(ctx, k, gvk, merged)
	return nil
}

// onPlanVersion carries what a dry run against the plane changed over to the plan's version of
// the object, when the plan changed it before: the dry run only knows the plane's version.
func (o *overlay) onPlanVersion(k objectKey, result *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	prev, ok := o.lookup(k)
	if !ok || prev == nil {
		return result.DeepCopy(), nil
	}
	base := []byte("{}")
	if b := o.befores[k]; b != nil {
		var err error
		if base, err = json.Marshal(b.Object); err != nil {
			return nil, err
		}
	}
	after, err := json.Marshal(result.Object)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.CreateMergePatch(base, after)
	if err != nil {
		return nil, err
	}
	return applyMergePatch(prev, patch)
}

// Patch applies a server-side apply as Apply does; other patches are applied to the plan's
// version of the object here, as they describe a change to the object the caller read.
func (o *overlay) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if patch.Type() == types.ApplyPatchType {
		u, err := toUnstructured(obj, o.Scheme())
		if err != nil {
			return err
		}
		if err := o.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), patchToApplyOptions(opts)...); err != nil {
			return err
		}
		return o.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	}
	return o.patchHere(ctx, obj, patch)
}

func (o *overlay) patchHere(ctx context.Context, obj client.Object, patch client.Patch) error {
	k, gvk, err := o.keyOf(obj, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	current := &unstructured.Unstructured{}
	current.SetGroupVersionKind(gvk)
	if err := o.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
		return err
	}
	data, err := patch.Data(obj)
	if err != nil {
		return err
	}
	var patched *unstructured.Unstructured
	switch patch.Type() {
	case types.MergePatchType:
		patched, err = applyMergePatch(current, data)
	case types.JSONPatchType:
		patched, err = applyJSONPatch(current, data)
	default:
		return errors.Errorf("a plan cannot apply a %s patch", patch.Type())
	}
	if err != nil {
		return err
	}
	o.store(ctx, k, gvk, patched)
	return fromUnstructured(patched, obj)
}

// Create is a dry-run create: the plane answers with the object as it would be.
func (o *overlay) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	k, gvk, err := o.keyOf(obj, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	if err := o.Client.Create(ctx, obj, append(slices.Clone(opts), client.DryRunAll)...); err != nil {
		return err
	}
	k.name = obj.GetName() // generateName is resolved now
	u, err := toUnstructured(obj, o.Scheme())
	if err != nil {
		return err
	}
	o.store(ctx, k, gvk, u)
	return nil
}

// Update replaces the plan's version of the object.
func (o *overlay) Update(ctx context.Context, obj client.Object, _ ...client.UpdateOption) error {
	k, gvk, err := o.keyOf(obj, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	u, err := toUnstructured(obj, o.Scheme())
	if err != nil {
		return err
	}
	o.store(ctx, k, gvk, u)
	return nil
}

// Delete is a dry-run delete, so that admission still has its say.
func (o *overlay) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	k, gvk, err := o.keyOf(obj, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	if prev, ok := o.lookup(k); ok && prev == nil {
		return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, obj.GetName())
	}
	if err := o.Client.Delete(ctx, obj, append(slices.Clone(opts), client.DryRunAll)...); client.IgnoreNotFound(err) != nil {
		return err
	}
	o.store(ctx, k, gvk, nil)
	return nil
}

// Status writes the status into the plan's version of the object.
func (o *overlay) Status() client.SubResourceWriter { return statusWriter{o} }

type statusWriter struct{ o *overlay }

func (s statusWriter) Create(context.Context, client.Object, client.Object, ...client.SubResourceCreateOption) error {
	return errors.New("a plan creates no subresources")
}

func (s statusWriter) Update(ctx context.Context, obj client.Object, _ ...client.SubResourceUpdateOption) error {
	return s.o.Update(ctx, obj)
}

func (s statusWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, _ ...client.SubResourcePatchOption) error {
	return s.o.patchHere(ctx, obj, patch)
}

func (s statusWriter) Apply(context.Context, runtime.ApplyConfiguration, ...client.SubResourceApplyOption) error {
	return errors.New("a plan applies no status")
}

func patchToApplyOptions(opts []client.PatchOption) []client.ApplyOption {
	po := (&client.PatchOptions{}).ApplyOptions(opts)
	var out []client.ApplyOption
	if po.FieldManager != "" {
		out = append(out, client.FieldOwner(po.FieldManager))
	}
	if po.Force != nil && *po.Force {
		out = append(out, client.ForceOwnership)
	}
	if slices.Contains(po.DryRun, metav1.DryRunAll) {
		out = append(out, client.DryRunAll)
	}
	return out
}
