/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errNoRef           = "managed resource has no spec.providerConfigRef"
	errFmtUnknownKind  = "unsupported spec.providerConfigRef.kind %q: must be ProviderConfig or ClusterProviderConfig"
	errFmtGetPC        = "cannot get ProviderConfig %q in namespace %q"
	errFmtGetCPC       = "cannot get ClusterProviderConfig %q"
	errSecretNamespace = "cannot use spec.credentials.secretRef of a ProviderConfig: its namespace must be the ProviderConfig's own"
	errCredentials     = "cannot get the credentials named by spec.credentials"
	errNewDriver       = "cannot start the cloud driver of the provider config"
	errHash            = "cannot hash the driver settings of the provider config"
)

// Config is what a provider config gives the controller of a managed resource that uses it.
type Config struct {
	// Driver reaches the cloud. Every managed resource of one provider config shares it.
	Driver cloud.Driver

	// Sizes is the catalogue of instance sizes.
	Sizes []v1alpha1.InstanceSize
}

// A Resolver finds the Config of a managed resource from its spec.providerConfigRef.
type Resolver interface {
	Resolve(ctx context.Context, mg resource.ModernManaged) (*Config, error)
}

// NewDriverFn starts the driver a provider config's spec selects. name identifies the provider
// config (kind, namespace, name); creds are the credentials its spec.credentials name, nil when
// the source is None.
type NewDriverFn func(ctx context.Context, name string, spec v1alpha1.ProviderConfigSpec, creds []byte) (cloud.Driver, error)

// A closer is a driver that holds resources until closed, such as the in-memory cloud.
type closer interface {
	Close(ctx context.Context) error
}

// Drivers resolves managed resources to drivers, keeping one driver per provider config so that
// the Instance and LoadBalancer controllers of a config see the same cloud. A driver is replaced
// (and the old one closed) when its config's driver settings or credentials change.
type Drivers struct {
	kube      client.Client
	newDriver NewDriverFn

	mu      sync.Mutex
	drivers map[string]started
}

// started is a driver and the hash of the settings it was started with.
type started struct {
	driver cloud.Driver
	hash   string
}

// NewDrivers returns Drivers that read provider configs with kube and start drivers with fn.
func NewDrivers(kube client.Client, fn NewDriverFn) *Drivers {
	return &Drivers{kube: kube, newDriver: fn, drivers: map[string]started{}}
}

// Resolve returns the Config of the provider config mg references, starting its driver on first
// use.
func (d *Drivers) Resolve(ctx context.Context, mg resource.ModernManaged) (*Config, error) {
	ref := mg.GetProviderConfigReference()
	if ref == nil {
		return nil, errors.New(errNoRef)
	}

	var spec v1alpha1.ProviderConfigSpec
	var key, namespace string
	switch ref.Kind {
	case v1alpha1.ProviderConfigKind:
		pc := &v1alpha1.ProviderConfig{}
		if err := d.kube.Get(ctx, types.NamespacedName{Namespace: mg.GetNamespace(), Name: ref.Name}, pc); err != nil {
			return nil, errors.Wrapf(err, errFmtGetPC, ref.Name, mg.GetNamespace())
		}
		spec, namespace = pc.Spec, pc.GetNamespace()
		key = ref.Kind + "/" + namespace + "/" + ref.Name
	case v1alpha1.ClusterProviderConfigKind:
		cpc := &v1alpha1.ClusterProviderConfig{}
		if err := d.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, cpc); err != nil {
			return nil, errors.Wrapf(err, errFmtGetCPC, ref.Name)
		}
		spec = cpc.Spec
		key = ref.Kind + "/" + ref.Name
	default:
		return nil, errors.Errorf(errFmtUnknownKind, ref.Kind)
	}

	creds, err := d.credentials(ctx, namespace, spec.Credentials)
	if err != nil {
		return nil, err
	}
	drv, err := d.driver(ctx, key, spec, creds)
	if err != nil {
		return nil, err
	}
	return &Config{Driver: drv, Sizes: spec.Sizes}, nil
}

// credentials extracts the credentials c names. A namespaced provider config (namespace set) may
// only read Secrets of its own namespace.
func (d *Drivers) credentials(ctx context.Context, namespace string, c v1alpha1.ProviderCredentials) ([]byte, error) {
	if c.Source == "" {
		c.Source = xpv2.CredentialsSourceNone
	}
	if namespace != "" && c.SecretRef != nil && c.SecretRef.Namespace != namespace {
		return nil, errors.New(errSecretNamespace)
	}
	creds, err := resource.CommonCredentialExtractor(ctx, c.Source, d.kube, c.CommonCredentialSelectors)
	return creds, errors.Wrap(err, errCredentials)
}

// driver returns the driver started for key, starting one when there is none or when the
// settings it was started with have changed.
func (d *Drivers) driver(ctx context.Context, key string, spec v1alpha1.ProviderConfigSpec, creds []byte) (cloud.Driver, error) {
	h, err := hash(spec, creds)
	if err != nil {
		return nil, errors.Wrap(err, errHash)
	}

	d.mu.Lock()
	defer d.mu.Unlock()

	old, ok := d.drivers[key]
	if ok && old.hash == h {
		return old.driver, nil
	}
	drv, err := d.newDriver(ctx, key, spec, creds)
	if err != nil {
		return nil, errors.Wrap(err, errNewDriver)
	}
	d.drivers[key] = started{driver: drv, hash: h}
	if ok {
		// NOTE: the old driver's resources (e.g. listener ports) must be freed before the new
		// driver re-creates the same resources; managed resources find them gone and re-create them.
		_ = closeDriver(ctx, old.driver) // nothing to do about it: the new driver is already in place
	}
	return drv, nil
}

// Close closes every started driver that holds resources.
func (d *Drivers) Close(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()

	errs := make([]error, 0, len(d.drivers))
	for key, s := range d.drivers {
		errs = append(errs, closeDriver(ctx, s.driver))
		delete(d.drivers, key)
	}
	return errors.Join(errs...)
}

func closeDriver(ctx context.Context, drv cloud.Driver) error {
	c, ok := drv.(closer)
	if !ok {
		return nil
	}
	return c.Close(ctx)
}

// hash identifies the settings a driver is started with: everything but the size catalogue,
// which is read afresh on every Resolve.
func hash(spec v1alpha1.ProviderConfigSpec, creds []byte) (string, error) {
	b, err := json.Marshal(struct { //nolint:gosec // G117: hashed here, never written anywhere.
		Driver      v1alpha1.DriverConfig        `json:"driver"`
		Credentials v1alpha1.ProviderCredentials `json:"credentials"`
		Secret      []byte                       `json:"secret"`
	}{spec.Driver, spec.Credentials, creds})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
