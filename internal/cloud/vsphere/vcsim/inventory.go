/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vcsim

import (
	"context"
	"slices"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
)

// VMs are the names of the vCenter's VMs that are not templates, sorted: what a test wants
// gone once every machine is deleted.
func VMs(ctx context.Context, c *govmomi.Client) ([]string, error) {
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, errors.Wrap(err, "cannot list the VMs")
	}
	defer v.Destroy(ctx) //nolint:errcheck // the view ends with the session anyway.
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config.template"}, &vms); err != nil {
		return nil, errors.Wrap(err, "cannot list the VMs")
	}
	var out []string
	for _, vm := range vms {
		if vm.Config == nil || !vm.Config.Template {
			out = append(out, vm.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ReservedAddresses are the control-plane addresses reserved in the vCenter, sorted.
func ReservedAddresses(ctx context.Context, c *govmomi.Client) ([]string, error) {
	m, err := object.GetCustomFieldsManager(c.Client)
	if err != nil {
		return nil, err
	}
	defs, err := m.Field(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "cannot list the custom fields")
	}
	var out []string
	for _, d := range defs {
		if a, ok := strings.CutPrefix(d.Name, vsphere.VIPFieldPrefix); ok {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out, nil
}
