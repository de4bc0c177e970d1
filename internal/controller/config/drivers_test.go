/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/fake"
	"github.com/capstan-dev/capstan/internal/cloud/inmemory"
)

var (
	errBoom = errors.New("boom")
	sizes   = []v1alpha1.InstanceSize{{Name: "small", CPU: 2, MemoryMiB: 4096, DiskGiB: 20}}
)

// closingDriver is a driver that records whether it was closed.
type closingDriver struct {
	fake.Driver
	closed bool
}

func (d *closingDriver) Close(context.Context) error {
	d.closed = true
	return nil
}

func instance(ref *xpv2.ProviderConfigReference) *computev1alpha1.Instance {
	i := &computev1alpha1.Instance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "cp-0"}}
	i.Spec.ProviderConfigReference = ref
	return i
}

func inMemory(bootDelay time.Duration) v1alpha1.ProviderConfigSpec {
	return v1alpha1.ProviderConfigSpec{
		Driver: v1alpha1.DriverConfig{InMemory: &v1alpha1.InMemoryDriver{BootDelay: &metav1.Duration{Duration: bootDelay}}},
		Sizes:  sizes,
	}
}

// kube serves a ProviderConfig team-a/default and a ClusterProviderConfig default with spec, and
// the Secret team-a/creds.
func kube(spec v1alpha1.ProviderConfigSpec) *test.MockClient {
	return &test.MockClient{MockGet: func(_ context.Context, key client.ObjectKey, obj client.Object) error {
		switch o := obj.(type) {
		case *v1alpha1.ProviderConfig:
			if key != (client.ObjectKey{Namespace: "team-a", Name: "default"}) {
				return errBoom
			}
			o.ObjectMeta, o.Spec = metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}, spec
		case *v1alpha1.ClusterProviderConfig:
			if key != (client.ObjectKey{Name: "default"}) {
				return errBoom
			}
			o.ObjectMeta, o.Spec = metav1.ObjectMeta{Name: key.Name}, spec
		case *corev1.Secret:
			if key != (client.ObjectKey{Namespace: "team-a", Name: "creds"}) {
				return errBoom
			}
			o.Data = map[string][]byte{"token": []byte("s3cr3t")}
		}
		return nil
	}}
}

func TestResolve(t *testing.T) {
	drv := &fake.Driver{}
	withSecret := func(ns string) v1alpha1.ProviderConfigSpec {
		s := inMemory(time.Second)
		s.Credentials = v1alpha1.ProviderCredentials{
			Source:                    xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "creds"}, Key: "token"}},
		}
		return s
	}
	type want struct {
		cfg   *Config
		spec  *v1alpha1.ProviderConfigSpec
		creds []byte
		err   error
	}
	cases := map[string]struct {
		reason string
		kube   client.Client
		newErr error
		ref    *xpv2.ProviderConfigReference
		want   want
	}{
		"NoReference": {
			reason: "A managed resource without spec.providerConfigRef has no config.",
			kube:   kube(inMemory(time.Second)),
			want:   want{err: errors.New(errNoRef)},
		},
		"UnknownKind": {
			reason: "An unknown kind is refused, naming the field and the kinds there are.",
			kube:   kube(inMemory(time.Second)),
			ref:    &xpv2.ProviderConfigReference{Kind: "Other", Name: "default"},
			want:   want{err: errors.Errorf(errFmtUnknownKind, "Other")},
		},
		"ProviderConfigMissing": {
			reason: "A ProviderConfig is looked up in the managed resource's namespace, and a failure names it.",
			kube:   kube(inMemory(time.Second)),
			ref:    &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "other"},
			want:   want{err: errors.Wrapf(errBoom, errFmtGetPC, "other", "team-a")},
		},
		"ClusterProviderConfigMissing": {
			reason: "A ClusterProviderConfig that cannot be read is named in the error.",
			kube:   kube(inMemory(time.Second)),
			ref:    &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "other"},
			want:   want{err: errors.Wrapf(errBoom, errFmtGetCPC, "other")},
		},
		"ProviderConfig": {
			reason: "A ProviderConfig of the managed resource's namespace gives its driver and sizes.",
			kube:   kube(inMemory(time.Second)),
			ref:    &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "default"},
			want:   want{cfg: &Config{Driver: drv, Sizes: sizes}, spec: ptrTo(inMemory(time.Second))},
		},
		"ClusterProviderConfigWithSecret": {
			reason: "A ClusterProviderConfig gives its driver, started with the credentials its Secret holds.",
			kube:   kube(withSecret("team-a")),
			ref:    &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"},
			want:   want{cfg: &Config{Driver: drv, Sizes: sizes}, spec: ptrTo(withSecret("team-a")), creds: []byte("s3cr3t")},
		},
		"SecretOfOtherNamespace": {
			reason: "A namespaced ProviderConfig may not read a Secret of another namespace.",
			kube:   kube(withSecret("kube-system")),
			ref:    &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "default"},
			want:   want{err: errors.New(errSecretNamespace)},
		},
		"SecretMissing": {
			reason: "Credentials that cannot be read are an error that names spec.credentials.",
			kube:   kube(withSecret("other")),
			ref:    &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"},
			want:   want{err: errors.Wrap(errors.Wrap(errBoom, "cannot get credentials secret"), errCredentials)},
		},
		"DriverError": {
			reason: "A driver that cannot start is an error.",
			kube:   kube(inMemory(time.Second)),
			newErr: errBoom,
			ref:    &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"},
			want:   want{spec: ptrTo(inMemory(time.Second)), err: errors.Wrap(errBoom, errNewDriver)},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			var spec *v1alpha1.ProviderConfigSpec
			var creds []byte
			d := NewDrivers(tc.kube, func(_ context.Context, _ string, s v1alpha1.ProviderConfigSpec, c []byte) (cloud.Driver, error) {
				spec, creds = &s, c
				if tc.newErr != nil {
					return nil, tc.newErr
				}
				return drv, nil
			})
			cfg, err := d.Resolve(context.Background(), instance(tc.ref))
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nResolve(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cfg, cfg); diff != "" {
				t.Errorf("%s\nResolve(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.spec, spec); diff != "" {
				t.Errorf("%s\nResolve(...): -want driver spec, +got driver spec:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.creds, creds); diff != "" {
				t.Errorf("%s\nResolve(...): -want credentials, +got credentials:\n%s", tc.reason, diff)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestDriversLifecycle follows one provider config through its life: its managed resources share
// a driver, a new size catalogue keeps it, new driver settings replace it, and Close closes it.
func TestDriversLifecycle(t *testing.T) {
	ctx := context.Background()
	spec := inMemory(time.Second)
	c := kube(spec)
	var started []*closingDriver
	d := NewDrivers(c, func(context.Context, string, v1alpha1.ProviderConfigSpec, []byte) (cloud.Driver, error) {
		drv := &closingDriver{}
		started = append(started, drv)
		return drv, nil
	})
	ref := &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}
	resolve := func(step string) *Config {
		t.Helper()
		cfg, err := d.Resolve(ctx, instance(ref))
		if err != nil {
			t.Fatalf("%s: Resolve(...): %v", step, err)
		}
		return cfg
	}

	first, second := resolve("first"), resolve("second")
	if first.Driver != second.Driver || len(started) != 1 {
		t.Errorf("two managed resources of one provider config: want one shared driver, got %d started", len(started))
	}

	spec.Sizes = append(spec.Sizes, v1alpha1.InstanceSize{Name: "large", CPU: 8, MemoryMiB: 16384, DiskGiB: 80})
	c.MockGet = kube(spec).MockGet
	if cfg := resolve("new sizes"); cfg.Driver != first.Driver || len(cfg.Sizes) != 2 {
		t.Errorf("new size catalogue: want the same driver and 2 sizes, got %d drivers started and %d sizes", len(started), len(cfg.Sizes))
	}

	spec.Driver.InMemory.BootDelay = &metav1.Duration{Duration: 5 * time.Second}
	c.MockGet = kube(spec).MockGet
	if cfg := resolve("new boot delay"); cfg.Driver == first.Driver || !started[0].closed {
		t.Errorf("new driver settings: want a new driver and the old one closed, got same=%t closed=%t", cfg.Driver == first.Driver, started[0].closed)
	}

	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close(...): %v", err)
	}
	if !started[1].closed {
		t.Errorf("Close(...): want the current driver closed")
	}
}

// TestFailureDomainDefaults: the composition function checks claims against the API's defaults,
// so the in-memory cloud's own defaults must be the same.
func TestFailureDomainDefaults(t *testing.T) {
	if diff := cmp.Diff(inmemory.DefaultFailureDomains, v1alpha1.DefaultInMemoryFailureDomains); diff != "" {
		t.Errorf("in-memory cloud defaults: -driver, +API:\n%s", diff)
	}
}
