/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package poll decides how soon a managed resource is observed again.
package poll

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// PendingInterval is how soon a managed resource that is not ready yet is observed again.
const PendingInterval = time.Second

// UntilReady polls a managed resource every pending while it is not ready, then every poll
// interval. NOTE: nothing tells the controller when a machine has booted, so without it a new
// Instance would wait a whole poll interval (a minute by default) to become ready.
func UntilReady(pending time.Duration) managed.PollIntervalHook {
	return func(mg resource.Managed, interval time.Duration) time.Duration {
		if mg.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
			return min(pending, interval)
		}
		return interval
	}
}
