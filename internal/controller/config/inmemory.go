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
	"github.com/capstan-dev/capstan/internal/cloud/faults"
	"github.com/capstan-dev/capstan/internal/cloud/inmemory"
	"github.com/capstan-dev/capstan/internal/cloud/remote"
)

const errNoDriver = "cannot start a driver: spec.driver names none this provider knows"

// NewDriver returns the NewDriverFn that starts the driver a provider config's spec.driver
// selects. log receives what the drivers do.
func NewDriver(log logr.Logger) NewDriverFn {
	return func(ctx context.Context, name string, spec v1alpha1.ProviderConfigSpec, creds []byte) (cloud.Driver, error) {
		if v := spec.Driver.VSphere; v != nil {
			return newVSphere(ctx, *v, creds, log)
		}
		m := spec.Driver.InMemory
		if m == nil {
			return nil, errors.New(errNoDriver)
		}
		var d cloud.Driver
		var err error
		if m.Endpoint != "" {
			d, err = newRemoteInMemory(ctx, name, spec.Driver)
		} else {
			d, err = newInMemory(spec.Driver, log)
		}
		if err != nil || m.Faults == nil {
			return d, err
		}
		f := faults.Faults{CreateErrorPercent: m.Faults.CreateErrorPercent, DeleteErrorPercent: m.Faults.DeleteErrorPercent}
		if m.Faults.Latency != nil {
			f.Latency = m.Faults.Latency.Duration
		}
		return faults.Wrap(d, f), nil
	}
}

// cloudFaults are the faults the provider config's cloud itself injects: machines that fail to
// boot, workers that die.
func cloudFaults(m *v1alpha1.InMemoryDriver) (bootFailure, workerDeath int32, workerLifetime time.Duration) {
	if m.Faults == nil {
		return 0, 0, 0
	}
	if m.Faults.WorkerLifetime != nil {
		workerLifetime = m.Faults.WorkerLifetime.Duration
	}
	return m.Faults.BootFailurePercent, m.Faults.WorkerDeathPercent, workerLifetime
}

// newRemoteInMemory reaches the in-memory cloud the provider config names at its endpoint,
// asking for one cloud per provider config (named after it) with its settings.
func newRemoteInMemory(ctx context.Context, name string, d v1alpha1.DriverConfig) (cloud.Driver, error) {
	m := d.InMemory
	o := remote.Options{BindAddress: m.BindAddress, FailureDomains: d.FailureDomains()}
	o.BootFailurePercent, o.WorkerDeathPercent, o.WorkerLifetime = cloudFaults(m)
	if m.BootDelay != nil {
		o.BootDelay = bootDelay(m.BootDelay.Duration)
	}
	if r := m.PortRange; r != nil {
		o.MinPort, o.MaxPort = r.Min, r.Max
	}
	return remote.New(ctx, m.Endpoint, name, o)
}

// bootDelay is the cloud's boot delay for a configured one.
//
// NOTE: the cloud reads zero as "default"; an explicit 0s asks for an instant boot.
func bootDelay(d time.Duration) time.Duration {
	if d == 0 {
		return time.Millisecond
	}
	return d
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
	o.BootFailurePercent, o.WorkerDeathPercent, o.WorkerLifetime = cloudFaults(m)
	if m.BootDelay != nil {
		o.BootDelay = bootDelay(m.BootDelay.Duration)
	}
	if r := m.PortRange; r != nil {
		o.MinPort, o.MaxPort = r.Min, r.Max
	}
	return inmemory.New(o)
}
