/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vcsim

import (
	"context"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
)

// makeTemplate makes the VM template of Image: a SCSI disk of TemplateDiskGiB and one network
// card, with a snapshot when machines are to be linked clones.
func (s *Sim) makeTemplate(ctx context.Context, snapshot bool) error {
	c, err := s.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Logout(ctx) //nolint:errcheck // nothing to do about it.

	f := find.NewFinder(c.Client, true)
	dc, err := f.Datacenter(ctx, Datacenter)
	if err != nil {
		return errors.Wrap(err, "cannot find the datacenter")
	}
	f.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return errors.Wrap(err, "cannot find the datacenter's folders")
	}
	cc, err := f.ClusterComputeResource(ctx, ComputeCluster)
	if err != nil {
		return errors.Wrap(err, "cannot find the compute cluster")
	}
	pool, err := cc.ResourcePool(ctx)
	if err != nil {
		return errors.Wrap(err, "cannot find the resource pool")
	}
	ds, err := f.Datastore(ctx, Datastore)
	if err != nil {
		return errors.Wrap(err, "cannot find the datastore")
	}
	network, err := f.Network(ctx, Network)
	if err != nil {
		return errors.Wrap(err, "cannot find the network")
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return errors.Wrap(err, "cannot attach to the network")
	}

	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return errors.Wrap(err, "cannot make a SCSI controller")
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), "") //nolint:forcetypeassert // a SCSI controller is a controller.
	disk.CapacityInKB = TemplateDiskGiB * 1024 * 1024
	nic, err := devices.CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return errors.Wrap(err, "cannot make a network card")
	}
	devices = append(devices, disk, nic)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return errors.Wrap(err, "cannot describe the template's devices")
	}
	changes[1].GetVirtualDeviceConfigSpec().FileOperation = types.VirtualDeviceConfigSpecFileOperationCreate

	task, err := folders.VmFolder.CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name:         Image,
		GuestId:      string(types.VirtualMachineGuestOsIdentifierUbuntu64Guest),
		NumCPUs:      2,
		MemoryMB:     4096,
		Files:        &types.VirtualMachineFileInfo{VmPathName: "[" + Datastore + "]"},
		DeviceChange: changes,
	}, pool, nil)
	if err != nil {
		return errors.Wrap(err, "cannot create the template VM")
	}
	info, err := task.WaitForResultEx(ctx)
	if err != nil {
		return errors.Wrap(err, "cannot create the template VM")
	}
	vm := object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference)) //nolint:forcetypeassert // CreateVM_Task returns the VM.
	if snapshot {
		task, err := vm.CreateSnapshot(ctx, "base", "what every machine is a linked clone of", false, false)
		if err := vsphere.WaitTask(ctx, task, err); err != nil {
			return errors.Wrap(err, "cannot snapshot the template VM")
		}
	}
	return errors.Wrap(vm.MarkAsTemplate(ctx), "cannot mark the template VM as a template")
}
