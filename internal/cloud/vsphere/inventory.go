/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// placement is where a machine runs and keeps its disk.
type placement struct {
	pool      *object.ResourcePool
	host      *object.HostSystem
	datastore *object.Datastore
}

// inventory is the vCenter objects a provider config names, found once when the driver starts
// so that a misnamed one is reported at once, naming its field.
type inventory struct {
	datacenter *object.Datacenter
	folder     *object.Folder
	placement  placement
	network    object.NetworkReference
	templates  map[string]*object.VirtualMachine
	domains    map[string]placement
}

const field = "spec.driver.vsphere"

func findInventory(ctx context.Context, c *vim25.Client, s v1alpha1.VSphereDriver) (*inventory, error) {
	f := find.NewFinder(c, true)
	dc, err := f.Datacenter(ctx, s.Datacenter)
	if err != nil {
		return nil, notFound(err, "datacenter", s.Datacenter)
	}
	f.SetDatacenter(dc)
	inv := &inventory{datacenter: dc, templates: map[string]*object.VirtualMachine{}, domains: map[string]placement{}}

	if s.Folder == "" {
		inv.folder, err = f.DefaultFolder(ctx)
	} else {
		inv.folder, err = f.Folder(ctx, s.Folder)
	}
	if err != nil {
		return nil, notFound(err, "folder", s.Folder)
	}
	if inv.placement.pool, err = resourcePool(ctx, f, s.ComputeCluster, s.ResourcePool, field); err != nil {
		return nil, err
	}
	if inv.placement.datastore, err = f.Datastore(ctx, s.Datastore); err != nil {
		return nil, notFound(err, "datastore", s.Datastore)
	}
	if inv.network, err = f.Network(ctx, s.Network); err != nil {
		return nil, notFound(err, "network", s.Network)
	}
	for i, img := range s.Images {
		vm, err := f.VirtualMachine(ctx, img.Template)
		if err != nil {
			return nil, notFound(err, fmt.Sprintf("images[%d].template", i), img.Template)
		}
		inv.templates[img.Name] = vm
	}
	for i, fd := range s.FailureDomains {
		p, err := domainPlacement(ctx, f, fd, inv.placement, fmt.Sprintf("%s.failureDomains[%d]", field, i))
		if err != nil {
			return nil, err
		}
		inv.domains[fd.Name] = p
	}
	return inv, nil
}

// resourcePool is the root pool of a compute cluster, or a resource pool.
func resourcePool(ctx context.Context, f *find.Finder, cluster, pool, at string) (*object.ResourcePool, error) {
	if cluster != "" {
		cc, err := f.ClusterComputeResource(ctx, cluster)
		if err != nil {
			return nil, notFoundAt(err, at+".computeCluster", cluster)
		}
		return cc.ResourcePool(ctx)
	}
	rp, err := f.ResourcePool(ctx, pool)
	return rp, notFoundAt(err, at+".resourcePool", pool)
}

// domainPlacement is where a failure domain puts machines: its compute cluster or host, else
// the driver's pool; its datastore, else the driver's.
func domainPlacement(ctx context.Context, f *find.Finder, fd v1alpha1.VSphereFailureDomain, def placement, at string) (placement, error) {
	p := def
	var err error
	switch {
	case fd.ComputeCluster != "":
		if p.pool, err = resourcePool(ctx, f, fd.ComputeCluster, "", at); err != nil {
			return p, err
		}
	case fd.Host != "":
		if p.host, err = f.HostSystem(ctx, fd.Host); err != nil {
			return p, notFoundAt(err, at+".host", fd.Host)
		}
		if p.pool, err = p.host.ResourcePool(ctx); err != nil {
			return p, errors.Wrapf(err, "cannot find the resource pool of %s.host %q", at, fd.Host)
		}
	}
	if fd.Datastore != "" {
		if p.datastore, err = f.Datastore(ctx, fd.Datastore); err != nil {
			return p, notFoundAt(err, at+".datastore", fd.Datastore)
		}
	}
	return p, nil
}

func notFound(err error, name, value string) error {
	return notFoundAt(err, field+"."+name, value)
}

func notFoundAt(err error, path, value string) error {
	if err == nil {
		return nil
	}
	return errors.Wrapf(err, "cannot find %s %q in the vCenter", path, value)
}
