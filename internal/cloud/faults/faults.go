/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package faults makes a cloud driver misbehave on purpose: it refuses a share of creations and
// deletions and adds latency to every call, so tests and benchmarks see what Capstan does when a
// cloud's API fails.
package faults

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errCreate = "injected fault: the cloud refused to create %s (createErrorPercent %d)"
	errDelete = "injected fault: the cloud refused to delete %s (deleteErrorPercent %d)"
)

// Faults are what a driver injects.
type Faults struct {
	// CreateErrorPercent and DeleteErrorPercent of those calls fail, each on its own draw.
	CreateErrorPercent, DeleteErrorPercent int32

	// Latency is added to every call.
	Latency time.Duration

	// Draw returns a number in [0, 100); nil draws at random.
	Draw func() int32
}

// Wrap returns d injecting f. The result counts what d's cloud holds and closes d, as d does.
func Wrap(d cloud.Driver, f Faults) cloud.Driver {
	if f.Draw == nil {
		f.Draw = func() int32 { return rand.Int32N(100) } //nolint:gosec // chance, not security.
	}
	return &driver{next: d, f: f}
}

type driver struct {
	next cloud.Driver
	f    Faults
}

var (
	_ cloud.Driver      = &driver{}
	_ cloud.Inventorier = &driver{}
)

// call waits the latency, then says whether a call with the given error percent fails.
func (d *driver) call(ctx context.Context, percent int32) (bool, error) {
	if d.f.Latency > 0 {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(d.f.Latency):
		}
	}
	return percent > 0 && d.f.Draw() < percent, nil
}

func (d *driver) CreateInstance(ctx context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error) {
	if fail, err := d.call(ctx, d.f.CreateErrorPercent); err != nil || fail {
		return nil, errors.Join(err, d.refused(errCreate, "instance "+id, d.f.CreateErrorPercent, fail))
	}
	return d.next.CreateInstance(ctx, id, spec)
}

func (d *driver) GetInstance(ctx context.Context, id string) (*cloud.Instance, error) {
	if _, err := d.call(ctx, 0); err != nil {
		return nil, err
	}
	return d.next.GetInstance(ctx, id)
}

func (d *driver) DeleteInstance(ctx context.Context, id string) error {
	if fail, err := d.call(ctx, d.f.DeleteErrorPercent); err != nil || fail {
		return errors.Join(err, d.refused(errDelete, "instance "+id, d.f.DeleteErrorPercent, fail))
	}
	return d.next.DeleteInstance(ctx, id)
}

func (d *driver) CreateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	if fail, err := d.call(ctx, d.f.CreateErrorPercent); err != nil || fail {
		return nil, errors.Join(err, d.refused(errCreate, "load balancer "+id, d.f.CreateErrorPercent, fail))
	}
	return d.next.CreateLoadBalancer(ctx, id, spec)
}

func (d *driver) GetLoadBalancer(ctx context.Context, id string) (*cloud.LoadBalancer, error) {
	if _, err := d.call(ctx, 0); err != nil {
		return nil, err
	}
	return d.next.GetLoadBalancer(ctx, id)
}

func (d *driver) UpdateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	if _, err := d.call(ctx, 0); err != nil {
		return nil, err
	}
	return d.next.UpdateLoadBalancer(ctx, id, spec)
}

func (d *driver) DeleteLoadBalancer(ctx context.Context, id string) error {
	if fail, err := d.call(ctx, d.f.DeleteErrorPercent); err != nil || fail {
		return errors.Join(err, d.refused(errDelete, "load balancer "+id, d.f.DeleteErrorPercent, fail))
	}
	return d.next.DeleteLoadBalancer(ctx, id)
}

// refused is the error of a call the driver fails on purpose, nil when it does not.
func (d *driver) refused(format, what string, percent int32, fail bool) error {
	if !fail {
		return nil
	}
	return errors.Errorf(format, what, percent)
}

// Inventory counts what the wrapped driver's cloud holds.
func (d *driver) Inventory() cloud.Inventory {
	if i, ok := d.next.(cloud.Inventorier); ok {
		return i.Inventory()
	}
	return cloud.Inventory{}
}

// Close closes the wrapped driver, if it holds anything.
func (d *driver) Close(ctx context.Context) error {
	if c, ok := d.next.(interface{ Close(context.Context) error }); ok {
		return c.Close(ctx)
	}
	return nil
}
