/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capi

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// FieldOwner is the server-side apply field manager of everything the provider applies at
// start-up.
const FieldOwner = "capstan-provider"

const (
	errConvert = "cannot convert object for server-side apply"
	errApply   = "cannot apply"
)

// Apply server-side applies a typed object, taking ownership of every field it sets. The object
// must carry its apiVersion and kind.
func Apply(ctx context.Context, c client.Client, obj client.Object) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return errors.Wrap(err, errConvert)
	}
	u := &unstructured.Unstructured{Object: m}
	// NOTE: a typed round trip adds an empty status and a null creationTimestamp; neither is ours
	// to apply.
	delete(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	ac := client.ApplyConfigurationFromUnstructured(u)
	return errors.Wrapf(c.Apply(ctx, ac, client.FieldOwner(FieldOwner), client.ForceOwnership), "%s %s %s", errApply, u.GetKind(), u.GetName())
}
