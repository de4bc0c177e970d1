/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vcsim

import (
	"context"
	"encoding/base64"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/inmemory"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
)

// guestPollInterval is how often the guest looks for VMs that powered on or off.
const guestPollInterval = 250 * time.Millisecond

// keyGuestIP is vcsim's extraConfig key that sets a VM's guest IP address, as VMware Tools
// reports it from a running guest.
const keyGuestIP = "SET.guest.ipAddress"

// Guest does for the VMs of a vCenter what their operating system would. When a VM powers on
// with cloud-init data in guestinfo, the guest boots it as a machine of the in-memory cloud
// (an etcd member and API server for a control-plane machine, a Node for a worker), with the
// hostname of its metadata and the providerID the vSphere cloud provider would give it, and
// reports its IP address through vcsim once it runs. A control-plane machine whose kube-vip
// static pod announces the cluster's endpoint serves it on this host. When a VM powers off or
// is destroyed, its machine leaves its cluster. It talks to vcsim only through the vSphere API.
type Guest struct {
	client *govmomi.Client
	cloud  *inmemory.Cloud
	log    logr.Logger

	mu sync.Mutex
	// booted are the machines of powered-on VMs, by VM reference.
	booted map[string]*machine
	// providerIDs are the providerIDs of machines, by hostname.
	providerIDs map[string]string
}

// machine is a VM booted by the guest.
type machine struct {
	hostname string
	reported bool
}

// GuestOptions configure a Guest.
type GuestOptions struct {
	// BootDelay is how long a VM takes to boot once powered on.
	BootDelay time.Duration
	Log       logr.Logger
}

// NewGuest returns the guest of the VMs of the vCenter c reaches.
func NewGuest(c *govmomi.Client, o GuestOptions) (*Guest, error) {
	g := &Guest{client: c, log: o.Log, booted: map[string]*machine{}, providerIDs: map[string]string{}}
	mem, err := inmemory.New(inmemory.Options{
		BootDelay:         o.BootDelay,
		AnnounceEndpoints: true,
		ProviderID:        g.providerID,
		Log:               o.Log.WithName("guest"),
	})
	if err != nil {
		return nil, errors.Wrap(err, "cannot start the machines' in-memory guest")
	}
	g.cloud = mem
	return g, nil
}

// Run watches the VMs until ctx ends, then shuts every machine down.
func (g *Guest) Run(ctx context.Context) error {
	defer g.cloud.Close(context.Background())
	m := view.NewManager(g.client.Client)
	v, err := m.CreateContainerView(ctx, g.client.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return errors.Wrap(err, "cannot watch the VMs")
	}
	t := time.NewTicker(guestPollInterval)
	defer t.Stop()
	for {
		if err := g.sync(ctx, v); err != nil && ctx.Err() == nil {
			g.log.Error(err, "cannot look at the VMs")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// sync boots the VMs that powered on, reports the addresses of those that run, and shuts down
// the machines of VMs that are off or gone.
func (g *Guest) sync(ctx context.Context, v *view.ContainerView) error {
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"config.template", "runtime.powerState", "guest.ipAddress"}, &vms); err != nil {
		return err
	}
	on := map[string]bool{}
	for i := range vms {
		vm := &vms[i]
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || (vm.Config != nil && vm.Config.Template) {
			continue
		}
		ref := vm.Self.Value
		on[ref] = true
		g.mu.Lock()
		mc := g.booted[ref]
		g.mu.Unlock()
		switch {
		case mc == nil:
			if err := g.boot(ctx, vm.Self); err != nil {
				// NOTE: as a real guest that cannot boot, it never reports an address.
				g.log.Info("VM cannot boot", "vm", ref, "reason", err.Error())
				g.mu.Lock()
				g.booted[ref] = &machine{reported: true}
				g.mu.Unlock()
			}
		case !mc.reported && (vm.Guest == nil || vm.Guest.IpAddress == ""):
			g.report(ctx, vm.Self, mc)
		}
	}
	g.mu.Lock()
	var gone []string
	for ref, mc := range g.booted {
		if !on[ref] {
			gone = append(gone, mc.hostname)
			delete(g.booted, ref)
		}
	}
	g.mu.Unlock()
	for _, h := range gone {
		if h == "" {
			continue // it never booted
		}
		g.log.Info("VM off or gone: its machine leaves its cluster", "hostname", h)
		if err := g.cloud.DeleteInstance(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// boot starts the machine of a VM that powered on with cloud-init data.
func (g *Guest) boot(ctx context.Context, ref types.ManagedObjectReference) error {
	var vm mo.VirtualMachine
	if err := object.NewCommon(g.client.Client, ref).Properties(ctx, ref, []string{"config.uuid", "config.hardware", "config.extraConfig"}, &vm); err != nil {
		return err
	}
	ec := vm.Config.ExtraConfig
	userData, err := base64.StdEncoding.DecodeString(vsphere.ExtraConfigValue(ec, vsphere.KeyUserData))
	if err != nil || len(userData) == 0 {
		return errors.New("no cloud-init user data in guestinfo")
	}
	raw, err := base64.StdEncoding.DecodeString(vsphere.ExtraConfigValue(ec, vsphere.KeyMetadata))
	if err != nil {
		return errors.Wrap(err, "cannot decode the guestinfo metadata")
	}
	md := vsphere.Metadata{}
	if err := yaml.Unmarshal(raw, &md); err != nil || md.LocalHostname == "" {
		return errors.New("the guestinfo metadata names no local-hostname")
	}
	g.mu.Lock()
	g.providerIDs[md.LocalHostname] = vsphere.ProviderIDPrefix + vm.Config.Uuid
	g.booted[ref.Value] = &machine{hostname: md.LocalHostname}
	g.mu.Unlock()
	_, err = g.cloud.CreateInstance(ctx, md.LocalHostname, cloud.InstanceSpec{
		CPU:       vm.Config.Hardware.NumCPU,
		MemoryMiB: vm.Config.Hardware.MemoryMB,
		DiskGiB:   vsphere.DiskGiB(vm.Config.Hardware.Device),
		UserData:  userData,
	})
	g.log.Info("VM powered on: booting", "hostname", md.LocalHostname)
	return err
}

// report tells vcsim the VM's IP address once its machine runs, as VMware Tools would.
func (g *Guest) report(ctx context.Context, ref types.ManagedObjectReference, mc *machine) {
	i, err := g.cloud.GetInstance(ctx, mc.hostname)
	if err != nil || i.State != cloud.InstanceStateRunning {
		return
	}
	var ip string
	for _, a := range i.Addresses {
		if a.Type == cloud.AddressInternalIP {
			ip = a.Address
		}
	}
	task, err := object.NewVirtualMachine(g.client.Client, ref).Reconfigure(ctx, types.VirtualMachineConfigSpec{
		ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: keyGuestIP, Value: ip}},
	})
	if err := vsphere.WaitTask(ctx, task, err); err != nil {
		g.log.Info("cannot report the guest's address", "hostname", mc.hostname, "reason", err.Error())
		return
	}
	g.mu.Lock()
	mc.reported = true
	g.mu.Unlock()
	g.log.Info("guest running", "hostname", mc.hostname, "ip", ip)
}

func (g *Guest) providerID(hostname string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.providerIDs[hostname]
}
