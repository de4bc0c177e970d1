/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package poll

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource/fake"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

func TestUntilReady(t *testing.T) {
	managed := func(c ...xpv2.Condition) resource.Managed {
		mg := &fake.ModernManaged{}
		mg.SetConditions(c...)
		return mg
	}
	cases := map[string]struct {
		reason   string
		mg       resource.Managed
		interval time.Duration
		want     time.Duration
	}{
		"Creating": {
			reason:   "A resource that is being created is polled soon.",
			mg:       managed(xpv2.Creating()),
			interval: time.Minute,
			want:     time.Second,
		},
		"NoCondition": {
			reason:   "A resource never observed is polled soon.",
			mg:       managed(),
			interval: time.Minute,
			want:     time.Second,
		},
		"Ready": {
			reason:   "A ready resource is polled at the poll interval.",
			mg:       managed(xpv2.Available()),
			interval: time.Minute,
			want:     time.Minute,
		},
		"ShortInterval": {
			reason:   "A poll interval shorter than the pending one wins.",
			mg:       managed(xpv2.Creating()),
			interval: 100 * time.Millisecond,
			want:     100 * time.Millisecond,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := UntilReady(time.Second)(tc.mg, tc.interval)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nUntilReady(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
