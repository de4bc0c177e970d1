/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"context"
	"time"

	"github.com/go-logr/logr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/inmemory"
)

const errNoDriver = "cannot start a driver: spec.driver names none this provider knows"

// NewDriver returns the NewDriverFn that starts the driver a provider config's spec.driver
// selects. log receives what the drivers do.
func NewDriver(log logr.Logger) NewDriverFn {
	return func(_ context.Context, spec v1alpha1.ProviderConfigSpec, _ []byte) (cloud.Driver, error) {
		if spec.Driver.InMemory != nil {
			return newInMemory(spec.Driver, log)
		}
		return nil, errors.New(errNoDriver)
	}
}

// newInMemory starts an in-memory cloud. Unset settings take the cloud's defaults, but for the
// failure domains, which the API's defaults decide: the composition function checks claims
// against them.
func newInMemory(d v1alpha1.DriverConfig, log logr.Logger) (cloud.Driver, error) {
	m := d.InMemory
	o := inmemory.Options{
		BindAddress:    m.BindAddress,
		FailureDomains: d.FailureDomains(),
		Log:            log,
	}
	if m.BootDelay != nil {
		o.BootDelay = m.BootDelay.Duration
		if o.BootDelay == 0 {
			// NOTE: the cloud reads zero as "default"; an explicit 0s asks for an instant boot.
			o.BootDelay = time.Millisecond
		}
	}
	if r := m.PortRange; r != nil {
		o.MinPort, o.MaxPort = r.Min, r.Max
	}
	return inmemory.New(o)
}
