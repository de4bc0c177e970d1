/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-dev/capstan/internal/localplane"
)

// TestIntegrationOverlay writes through an overlay to a real API server and checks that the
// overlay shows every write while the plane keeps what it had.
func TestIntegrationOverlay(t *testing.T) {
	ctx := context.Background()
	plane, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		t.Fatalf("localplane.Start(...): %v", err)
	}
	t.Cleanup(func() { _ = plane.Stop() })
	c, err := client.New(readOnly(plane.Config), client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(plane.Config, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	cm := func(name string, data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": "plan"}}, Data: data}
	}
	kept, gone := cm("kept", map[string]string{"v": "1"}), cm("gone", map[string]string{"v": "1"})
	for _, o := range []client.Object{kept, gone} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("WritesAreRefusedUnlessDryRun", func(t *testing.T) {
		err := c.Create(ctx, cm("direct", nil))
		if err == nil || !strings.Contains(err.Error(), "a plan changes nothing") {
			t.Errorf("Create through the read-only config: got %v, want it refused", err)
		}
		if err := c.Delete(ctx, kept.DeepCopy()); err == nil {
			t.Errorf("Delete through the read-only config succeeded")
		}
	})

	ov := newOverlay(c)
	t.Run("Writes", func(t *testing.T) {
		if err := ov.Create(ctx, cm("made", map[string]string{"v": "1"})); err != nil {
			t.Fatalf("Create: %v", err)
		}
		u := &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{"v": "2"}}}
		u.SetAPIVersion("v1")
		u.SetKind("ConfigMap")
		u.SetNamespace("default")
		u.SetName("kept")
		if err := ov.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("test"), client.ForceOwnership); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		merge := client.RawPatch("application/merge-patch+json", []byte(`{"data":{"w":"3"}}`))
		if err := ov.Patch(ctx, cm("kept", nil), merge); err != nil {
			t.Fatalf("Patch: %v", err)
		}
		if err := ov.Delete(ctx, gone.DeepCopy()); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	})

	t.Run("OverlayShowsTheWrites", func(t *testing.T) {
		got := &corev1.ConfigMap{}
		if err := ov.Get(ctx, client.ObjectKeyFromObject(kept), got); err != nil {
			t.Fatal(err)
		}
		if got.Data["v"] != "2" || got.Data["w"] != "3" {
			t.Errorf("kept through the overlay: data %v, want v=2 (applied) and w=3 (patched after)", got.Data)
		}
		if err := ov.Get(ctx, client.ObjectKeyFromObject(gone), &corev1.ConfigMap{}); !apierrors.IsNotFound(err) {
			t.Errorf("gone through the overlay: got %v, want NotFound", err)
		}
		list := &corev1.ConfigMapList{}
		if err := ov.List(ctx, list, client.InNamespace("default"), client.MatchingLabels{"app": "plan"}); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, it := range list.Items {
			names = append(names, it.Name)
		}
		if strings.Join(names, ",") != "kept,made" {
			t.Errorf("List through the overlay: got %v, want kept and made", names)
		}
		changes := map[string]string{}
		for _, ch := range ov.changes(nil) {
			switch {
			case ch.before == nil:
				changes[ch.after.GetName()] = "create"
			case ch.after == nil:
				changes[ch.before.GetName()] = "delete"
			default:
				changes[ch.after.GetName()] = "update"
			}
		}
		if changes["made"] != "create" || changes["kept"] != "update" || changes["gone"] != "delete" || len(changes) != 3 {
			t.Errorf("changes: got %v, want made created, kept updated, gone deleted", changes)
		}
	})

	t.Run("PlaneUnchanged", func(t *testing.T) {
		got := &corev1.ConfigMap{}
		if err := admin.Get(ctx, client.ObjectKeyFromObject(kept), got); err != nil {
			t.Fatal(err)
		}
		if got.ResourceVersion != kept.ResourceVersion || got.Data["v"] != "1" {
			t.Errorf("the plane's kept: resourceVersion %s data %v, want %s and v=1", got.ResourceVersion, got.Data, kept.ResourceVersion)
		}
		if err := admin.Get(ctx, client.ObjectKeyFromObject(gone), &corev1.ConfigMap{}); err != nil {
			t.Errorf("the plane's gone: %v, want it still there", err)
		}
		if err := admin.Get(ctx, client.ObjectKey{Namespace: "default", Name: "made"}, &corev1.ConfigMap{}); !apierrors.IsNotFound(err) {
			t.Errorf("the plane's made: got %v, want NotFound", err)
		}
	})
}

// TestChangesSplitsWhatClusterAPIWroteToAComposedObject: the composition's change to the Cluster
// is listed as composed, what the topology reconciler wrote to it afterwards on its own.
func TestChangesSplitsWhatClusterAPIWroteToAComposedObject(t *testing.T) {
	obj := func(version, annotation string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"version": version}}}
		u.SetName("demo")
		if annotation != "" {
			u.SetAnnotations(map[string]string{"step": annotation})
		}
		return u
	}
	k := objectKey{name: "demo"}
	ov := newOverlay(nil)
	ov.order = []objectKey{k}
	ov.befores[k] = obj("v1", "")
	composed := obj("v2", "")
	ov.objs[k] = composed
	ov.composed[k] = true
	view := ov.snapshot()
	ov.objs[k] = obj("v2", "v2")

	got := ov.changes(view)
	if len(got) != 2 {
		t.Fatalf("changes: got %d, want the composition's and Cluster API's", len(got))
	}
	if !got[0].composed || got[0].after != composed {
		t.Errorf("first change: composed %t, after %v; want the composed object as composed", got[0].composed, got[0].after)
	}
	if got[1].composed || got[1].before != composed || got[1].after.GetAnnotations()["step"] != "v2" {
		t.Errorf("second change: composed %t, before %v, after %v; want Cluster API's annotation from the composed object on", got[1].composed, got[1].before, got[1].after)
	}
}
