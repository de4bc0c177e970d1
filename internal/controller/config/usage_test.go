/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
)

func TestUntilDeletedTrack(t *testing.T) {
	now := metav1.Now()
	cases := map[string]struct {
		reason      string
		mg          *computev1alpha1.Instance
		wantTracked bool
		want        error
	}{
		"Live": {
			reason:      "A live resource's usage is tracked, and a tracking error returned.",
			mg:          &computev1alpha1.Instance{},
			wantTracked: true,
			want:        errBoom,
		},
		"BeingDeleted": {
			reason: "A resource being deleted is not tracked: in a terminating namespace its usage could not be re-created and it would never be deleted.",
			mg:     &computev1alpha1.Instance{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &now}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tracked := false
			tr := untilDeleted{wrapped: resource.ModernTrackerFn(func(context.Context, resource.ModernManaged) error {
				tracked = true
				return errBoom
			})}
			err := tr.Track(context.Background(), tc.mg)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nTrack(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if tracked != tc.wantTracked {
				t.Errorf("%s\nTrack(...): tracked %t, want %t", tc.reason, tracked, tc.wantTracked)
			}
		})
	}
}
