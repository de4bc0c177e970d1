/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package fake is a cloud.Driver for tests: each method calls the function in the matching field.
package fake

import (
	"context"

	"github.com/capstan-dev/capstan/internal/cloud"
)

var _ cloud.Driver = &Driver{}

// Driver is a cloud.Driver whose methods call the Mock functions. A method whose function is
// nil panics, so a test states every call it expects.
type Driver struct {
	MockCreateInstance func(ctx context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error)
	MockGetInstance    func(ctx context.Context, id string) (*cloud.Instance, error)
	MockDeleteInstance func(ctx context.Context, id string) error

	MockCreateLoadBalancer func(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error)
	MockGetLoadBalancer    func(ctx context.Context, id string) (*cloud.LoadBalancer, error)
	MockUpdateLoadBalancer func(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error)
	MockDeleteLoadBalancer func(ctx context.Context, id string) error
}

// CreateInstance calls MockCreateInstance.
func (d *Driver) CreateInstance(ctx context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error) {
	return d.MockCreateInstance(ctx, id, spec)
}

// GetInstance calls MockGetInstance.
func (d *Driver) GetInstance(ctx context.Context, id string) (*cloud.Instance, error) {
	return d.MockGetInstance(ctx, id)
}

// DeleteInstance calls MockDeleteInstance.
func (d *Driver) DeleteInstance(ctx context.Context, id string) error {
	return d.MockDeleteInstance(ctx, id)
}

// CreateLoadBalancer calls MockCreateLoadBalancer.
func (d *Driver) CreateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	return d.MockCreateLoadBalancer(ctx, id, spec)
}

// GetLoadBalancer calls MockGetLoadBalancer.
func (d *Driver) GetLoadBalancer(ctx context.Context, id string) (*cloud.LoadBalancer, error) {
	return d.MockGetLoadBalancer(ctx, id)
}

// UpdateLoadBalancer calls MockUpdateLoadBalancer.
func (d *Driver) UpdateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	return d.MockUpdateLoadBalancer(ctx, id, spec)
}

// DeleteLoadBalancer calls MockDeleteLoadBalancer.
func (d *Driver) DeleteLoadBalancer(ctx context.Context, id string) error {
	return d.MockDeleteLoadBalancer(ctx, id)
}
