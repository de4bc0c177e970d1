/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"encoding/json"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// toUnstructured copies obj into an unstructured object with its kind set.
func toUnstructured(obj runtime.Object, scheme *runtime.Scheme) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.DeepCopy(), nil
	}
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return nil, err
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// fromUnstructured copies u into obj, typed or not.
func fromUnstructured(u *unstructured.Unstructured, obj runtime.Object) error {
	if out, ok := obj.(*unstructured.Unstructured); ok {
		out.Object = u.DeepCopy().Object
		return nil
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.DeepCopy().Object, obj)
}

func applyMergePatch(u *unstructured.Unstructured, patch []byte) (*unstructured.Unstructured, error) {
	return patchJSON(u, func(doc []byte) ([]byte, error) { return jsonpatch.MergePatch(doc, patch) })
}

func applyJSONPatch(u *unstructured.Unstructured, patch []byte) (*unstructured.Unstructured, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, err
	}
	return patchJSON(u, p.Apply)
}

func patchJSON(u *unstructured.Unstructured, apply func([]byte) ([]byte, error)) (*unstructured.Unstructured, error) {
	doc, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	if doc, err = apply(doc); err != nil {
		return nil, err
	}
	out := &unstructured.Unstructured{}
	// apimachinery's decoder keeps whole numbers int64, as the API machinery does.
	return out, utiljson.Unmarshal(doc, &out.Object)
}
