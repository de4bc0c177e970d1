/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

// ProviderIDPrefix starts the providerID of every VM, as the vSphere cloud provider writes it on
// Nodes: vsphere://<BIOS UUID>.
const ProviderIDPrefix = "vsphere://"

// vmProperties are what an observation of a VM reads, in one call.
var vmProperties = []string{
	"config.uuid", "config.createDate", "config.hardware", "config.extraConfig",
	"runtime.powerState", "guest.ipAddress", "guest.net", "guest.hostName",
}

// cloneSettle is how long CreateInstance waits for a VM of its name that carries no Capstan ID
// yet to get one: another clone of that name is in flight.
const cloneSettle = 5 * time.Second

// CreateInstance clones the template of spec.Image as a powered-on VM named id. A VM of that
// name made by Capstan is returned as it is.
func (d *Driver) CreateInstance(ctx context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error) {
	if id == "" {
		return nil, errors.New("an instance ID must not be empty")
	}
	if i, err := d.getSettled(ctx, id); !cloud.IsNotFound(err) {
		return i, err
	}
	c, err := d.clone(ctx, id, spec)
	if err != nil {
		return nil, err
	}
	task, err := c.template.Clone(ctx, d.inv.folder, id, c.spec)
	err = WaitTask(ctx, task, err)
	if fault.Is(err, &types.DuplicateName{}) {
		// NOTE: another reconcile, or this provider before a restart, cloned it first.
		return d.getSettled(ctx, id)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "cannot clone template %q (image %q) as VM %q", c.template.InventoryPath, spec.Image, id)
	}
	d.log.Info("VM cloned", "id", id, "template", c.template.InventoryPath, "linked", c.linked)
	return d.GetInstance(ctx, id)
}

// GetInstance observes the VM named id, or returns cloud.ErrNotFound.
func (d *Driver) GetInstance(ctx context.Context, id string) (*cloud.Instance, error) {
	vm, err := d.findVM(ctx, id)
	if err != nil {
		return nil, err
	}
	return observe(id, vm)
}

// getSettled is GetInstance, waiting up to cloneSettle while the VM carries no Capstan ID: a
// clone shows its VM before the VM's extraConfig (seen on vcsim with two creates at once).
func (d *Driver) getSettled(ctx context.Context, id string) (*cloud.Instance, error) {
	var i *cloud.Instance
	var err error
	// NOTE: each read runs on ctx, not on the poll's: the last may end after cloneSettle, and its
	// answer, not the poll's deadline, is what the caller gets.
	_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, cloneSettle, true, func(context.Context) (bool, error) {
		i, err = d.GetInstance(ctx, id)
		var foreign *foreignVMError
		return !errors.As(err, &foreign) || foreign.owner != "", nil
	})
	return i, err
}

// foreignVMError is a VM of an instance's name that Capstan did not make, or not yet.
type foreignVMError struct{ id, folder, owner string }

func (e *foreignVMError) Error() string {
	return fmt.Sprintf("VM %q in folder %q was not made by Capstan (its extraConfig %s is %q): rename or move it", e.id, e.folder, keyID, e.owner)
}

// DeleteInstance powers the VM off and destroys it. A missing VM is not an error.
func (d *Driver) DeleteInstance(ctx context.Context, id string) error {
	vm, err := d.findVM(ctx, id)
	if cloud.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	obj := object.NewVirtualMachine(d.client.Client, vm.Reference())
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		task, err := obj.PowerOff(ctx)
		if err := WaitTask(ctx, task, err); err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
			return errors.Wrapf(err, "cannot power off VM %q", id)
		}
	}
	task, err := obj.Destroy(ctx)
	if err := WaitTask(ctx, task, err); err != nil && !fault.Is(err, &types.ManagedObjectNotFound{}) {
		return errors.Wrapf(err, "cannot destroy VM %q", id)
	}
	d.log.Info("VM destroyed", "id", id)
	return nil
}

// findVM reads the VM named id in the driver's folder, or returns cloud.ErrNotFound. A VM of
// that name that Capstan did not make is an error: the driver never touches it.
func (d *Driver) findVM(ctx context.Context, id string) (*mo.VirtualMachine, error) {
	ref, err := d.search.FindChild(ctx, d.inv.folder, id)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot look for VM %q in folder %q", id, d.inv.folder.InventoryPath)
	}
	if ref == nil {
		return nil, errors.Wrapf(cloud.ErrNotFound, "VM %q", id)
	}
	vm := &mo.VirtualMachine{}
	err = object.NewCommon(d.client.Client, ref.Reference()).Properties(ctx, ref.Reference(), vmProperties, vm)
	if fault.Is(err, &types.ManagedObjectNotFound{}) {
		return nil, errors.Wrapf(cloud.ErrNotFound, "VM %q", id)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "cannot read VM %q", id)
	}
	if owner := extraConfig(vm, keyID); owner != id {
		return nil, &foreignVMError{id: id, folder: d.inv.folder.InventoryPath, owner: owner}
	}
	return vm, nil
}

// observe is the instance a VM is. It is Running once powered on with an address reported by
// its guest, Provisioning while it boots, and Failed when something powered it off.
func observe(id string, vm *mo.VirtualMachine) (*cloud.Instance, error) {
	if vm.Config == nil {
		return nil, errors.Errorf("VM %q has no configuration yet", id)
	}
	i := &cloud.Instance{
		ID:            id,
		ProviderID:    ProviderIDPrefix + vm.Config.Uuid,
		FailureDomain: extraConfig(vm, keyFailureDomain),
		Addresses:     addresses(id, vm),
		Spec: cloud.InstanceSpec{
			CPU:           vm.Config.Hardware.NumCPU,
			MemoryMiB:     vm.Config.Hardware.MemoryMB,
			DiskGiB:       DiskGiB(vm.Config.Hardware.Device),
			Image:         extraConfig(vm, keyImage),
			FailureDomain: extraConfig(vm, keyFailureDomain),
			Network:       extraConfig(vm, keyNetwork),
		},
	}
	if vm.Config.CreateDate != nil {
		i.LaunchTime = *vm.Config.CreateDate
	}
	switch vm.Runtime.PowerState {
	case types.VirtualMachinePowerStatePoweredOn:
		if hasIP(i.Addresses) {
			i.State = cloud.InstanceStateRunning
		} else {
			i.State, i.Message = cloud.InstanceStateProvisioning, "powered on; waiting for the guest to report an IP address"
		}
	default:
		i.State, i.Message = cloud.InstanceStateFailed, "the VM is "+string(vm.Runtime.PowerState)
	}
	return i, nil
}

// addresses are the guest's IP addresses, link-local ones left out, and its hostname.
func addresses(id string, vm *mo.VirtualMachine) []cloud.Address {
	var ips []string
	if vm.Guest != nil {
		for _, n := range vm.Guest.Net {
			for _, ip := range n.IpAddress {
				if !strings.HasPrefix(ip, "fe80:") && !slices.Contains(ips, ip) {
					ips = append(ips, ip)
				}
			}
		}
		if len(ips) == 0 && vm.Guest.IpAddress != "" {
			ips = append(ips, vm.Guest.IpAddress)
		}
	}
	out := make([]cloud.Address, 0, len(ips)+1)
	for _, ip := range ips {
		out = append(out, cloud.Address{Type: cloud.AddressInternalIP, Address: ip})
	}
	return append(out, cloud.Address{Type: cloud.AddressHostname, Address: hostname(id)})
}

func hasIP(as []cloud.Address) bool {
	return slices.ContainsFunc(as, func(a cloud.Address) bool { return a.Type == cloud.AddressInternalIP })
}

// DiskGiB is the size of the first disk of devices.
func DiskGiB(devices []types.BaseVirtualDevice) int32 {
	for _, d := range devices {
		if disk, ok := d.(*types.VirtualDisk); ok {
			return int32(disk.CapacityInKB / (1024 * 1024))
		}
	}
	return 0
}
