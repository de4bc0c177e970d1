/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const gib = 1024 * 1024 // KiB

// cloneOf is how one instance is cloned.
type cloneOf struct {
	template *object.VirtualMachine
	linked   bool
	spec     types.VirtualMachineCloneSpec
}

// clone plans the clone of spec as VM id: from its image's template, placed in its failure
// domain, on its network, sized by it, booting its user data.
func (d *Driver) clone(ctx context.Context, id string, spec cloud.InstanceSpec) (*cloneOf, error) {
	tmpl, ok := d.inv.templates[spec.Image]
	if !ok {
		return nil, errors.Errorf("spec.forProvider.image %q is not an image of the provider config (spec.driver.vsphere.images has: %s)", spec.Image, strings.Join(keys(d.inv.templates), ", "))
	}
	where := d.inv.placement
	if spec.FailureDomain != "" {
		if where, ok = d.inv.domains[spec.FailureDomain]; !ok {
			return nil, errors.Errorf("spec.forProvider.failureDomain %q is not a failure domain of the provider config (spec.driver.vsphere.failureDomains has: %s)", spec.FailureDomain, strings.Join(keys(d.inv.domains), ", "))
		}
	}
	network := d.inv.network
	if spec.Network != "" {
		n, err := d.finder.Network(ctx, spec.Network)
		if err != nil {
			return nil, errors.Wrapf(err, "cannot find spec.forProvider.network %q in the vCenter", spec.Network)
		}
		network = n
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot attach a VM to network %q", network.GetInventoryPath())
	}

	var t mo.VirtualMachine
	if err := tmpl.Properties(ctx, tmpl.Reference(), []string{"config.hardware.device", "snapshot"}, &t); err != nil {
		return nil, errors.Wrapf(err, "cannot read template %q", tmpl.InventoryPath)
	}
	if t.Config == nil {
		return nil, errors.Errorf("template %q has no configuration", tmpl.InventoryPath)
	}
	c := &cloneOf{template: tmpl, linked: t.Snapshot != nil && t.Snapshot.CurrentSnapshot != nil}
	changes, err := deviceChanges(object.VirtualDeviceList(t.Config.Hardware.Device), spec.DiskGiB, c.linked, backing, tmpl.InventoryPath)
	if err != nil {
		return nil, err
	}
	folder := d.inv.folder.Reference()
	c.spec = types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{
			Folder:    &folder,
			Pool:      ref(where.pool),
			Host:      ref(where.host),
			Datastore: ref(where.datastore),
		},
		PowerOn: true,
		Config: &types.VirtualMachineConfigSpec{
			NumCPUs:      spec.CPU,
			MemoryMB:     int64(spec.MemoryMiB),
			DeviceChange: changes,
			ExtraConfig:  guestInfo(id, spec),
		},
	}
	if c.linked {
		c.spec.Location.DiskMoveType = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)
		c.spec.Snapshot = t.Snapshot.CurrentSnapshot
	}
	return c, nil
}

// deviceChanges sizes the template's one disk and attaches its first network card (or a new
// one) to the network. A linked clone shares the template's disk and cannot resize it.
func deviceChanges(devices object.VirtualDeviceList, wantGiB int32, linked bool, backing types.BaseVirtualDeviceBackingInfo, template string) ([]types.BaseVirtualDeviceConfigSpec, error) {
	var changes []types.BaseVirtualDeviceConfigSpec
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 {
		return nil, errors.Errorf("template %q must have exactly one disk, it has %d", template, len(disks))
	}
	disk := disks[0].(*types.VirtualDisk) //nolint:forcetypeassert // selected by this type.
	want, have := int64(wantGiB)*gib, disk.CapacityInKB
	switch {
	case want < have:
		return nil, errors.Errorf("the instance's disk of %d GiB is smaller than the %d GiB disk of template %q: a clone cannot shrink it", wantGiB, have/gib, template)
	case want > have && linked:
		return nil, errors.Errorf("the instance's disk of %d GiB is larger than the %d GiB disk of template %q, which has a snapshot: a linked clone cannot grow its disk (size the template's disk, or remove its snapshots for full clones)", wantGiB, have/gib, template)
	case want > have:
		disk.CapacityInKB, disk.CapacityInBytes = want, want*1024
		changes = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: disk})
	}

	nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) == 0 {
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return nil, errors.Wrap(err, "cannot make a network card")
		}
		return append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: nic}), nil
	}
	nic := nics[0]
	nic.GetVirtualDevice().Backing = backing
	return append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nic}), nil
}

// ref is the reference of o, or nil when o is nil.
func ref[T any, P interface {
	*T
	Reference() types.ManagedObjectReference
}](o P) *types.ManagedObjectReference {
	if o == nil {
		return nil
	}
	r := o.Reference()
	return &r
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
