/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"sync"

	"github.com/go-logr/logr"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

var _ cloud.Driver = &Driver{}

// Driver is a cloud.Driver on one vCenter. Every method is safe for concurrent use. Close it
// to end its session.
type Driver struct {
	client *govmomi.Client
	finder *find.Finder
	search *object.SearchIndex
	fields *object.CustomFieldsManager
	inv    *inventory
	pool   addressPool
	calls  *callCounter
	log    logr.Logger

	// reserving serialises this driver's address reservations; vCenter's unique field names
	// keep drivers of other provider configs from taking the same address.
	reserving sync.Mutex
}

// New logs in to the vCenter s names and finds every object it names, or fails naming the
// field that is wrong.
func New(ctx context.Context, s v1alpha1.VSphereDriver, creds Credentials, log logr.Logger) (*Driver, error) {
	pool, err := parseAddressPool(s.ControlPlaneEndpoints.Addresses)
	if err != nil {
		return nil, err
	}
	calls := &callCounter{}
	c, err := login(ctx, s, creds, calls)
	if err != nil {
		return nil, err
	}
	inv, err := findInventory(ctx, c.Client, s)
	if err != nil {
		_ = c.Logout(ctx) // the error that matters is the one above
		return nil, err
	}
	fields, err := object.GetCustomFieldsManager(c.Client)
	if err != nil {
		_ = c.Logout(ctx)
		return nil, errors.Wrap(err, "the vCenter has no custom fields manager to reserve control-plane addresses with")
	}
	return &Driver{
		client: c,
		finder: find.NewFinder(c.Client, true).SetDatacenter(inv.datacenter),
		search: object.NewSearchIndex(c.Client),
		fields: fields,
		inv:    inv,
		pool:   pool,
		calls:  calls,
		log:    log,
	}, nil
}

// Close ends the driver's session.
func (d *Driver) Close(ctx context.Context) error {
	return errors.Wrap(d.client.Logout(ctx), "cannot log out of the vCenter")
}

// Calls returns how many vSphere API calls the driver has made, by method.
func (d *Driver) Calls() map[string]int {
	return d.calls.snapshot()
}
