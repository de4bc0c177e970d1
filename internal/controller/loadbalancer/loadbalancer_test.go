/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud/fake"
	"github.com/capstan-dev/capstan/internal/controller/config"
)

// resolverFn is a config.Resolver.
type resolverFn func(ctx context.Context, mg resource.ModernManaged) (*config.Config, error)

func (fn resolverFn) Resolve(ctx context.Context, mg resource.ModernManaged) (*config.Config, error) {
	return fn(ctx, mg)
}

func TestConnect(t *testing.T) {
	drv := &fake.Driver{}
	type want struct {
		e   managed.TypedExternalClient[*v1alpha1.LoadBalancer]
		err error
	}
	cases := map[string]struct {
		reason  string
		usage   resource.ModernTracker
		configs config.Resolver
		want    want
	}{
		"TrackError": {
			reason: "The provider config is not used before its usage is recorded.",
			usage:  resource.ModernTrackerFn(func(context.Context, resource.ModernManaged) error { return errBoom }),
			want:   want{err: errors.Wrap(errBoom, errTrackUsage)},
		},
		"ResolveError": {
			reason: "A provider config that cannot be resolved is an error.",
			usage:  resource.ModernTrackerFn(func(context.Context, resource.ModernManaged) error { return nil }),
			configs: resolverFn(func(context.Context, resource.ModernManaged) (*config.Config, error) {
				return nil, errBoom
			}),
			want: want{err: errors.Wrap(errBoom, errResolveConfig)},
		},
		"Connected": {
			reason: "The client uses the provider config's driver.",
			usage:  resource.ModernTrackerFn(func(context.Context, resource.ModernManaged) error { return nil }),
			configs: resolverFn(func(context.Context, resource.ModernManaged) (*config.Config, error) {
				return &config.Config{Driver: drv}, nil
			}),
			want: want{e: &external{driver: drv}},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			c := &connector{usage: tc.usage, configs: tc.configs}
			e, err := c.Connect(context.Background(), loadBalancer())
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nConnect(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.e, e, cmp.AllowUnexported(external{})); diff != "" {
				t.Errorf("%s\nConnect(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
