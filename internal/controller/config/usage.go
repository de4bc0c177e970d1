/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// NewUsageTracker returns the tracker that records a managed resource's use of its provider
// config in a ProviderConfigUsage, so that the config outlives its users.
func NewUsageTracker(c client.Client) resource.ModernTracker {
	return untilDeleted{wrapped: resource.NewProviderConfigUsageTracker(c, &v1alpha1.ProviderConfigUsage{})}
}

// untilDeleted tracks a managed resource's usage until the resource is being deleted.
//
// NOTE: deleting a namespace deletes the ProviderConfigUsages in it at once, and Kubernetes
// refuses to create anything new in a terminating namespace. Tracking a resource being deleted
// would re-create its usage, fail, and so never delete the resource: the namespace would hang
// and its cloud resources leak. A resource being deleted needs no new usage: the one recorded
// when it was created protects its config until it is gone, unless the namespace is going too.
type untilDeleted struct {
	wrapped resource.ModernTracker
}

// Track records the usage of a managed resource that is not being deleted.
func (t untilDeleted) Track(ctx context.Context, mg resource.ModernManaged) error {
	if meta.WasDeleted(mg) {
		return nil
	}
	return t.wrapped.Track(ctx, mg)
}
