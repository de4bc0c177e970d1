/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere/vcsim"
)

// startSim runs a simulated vCenter for one test, and a client of it.
func startSim(t *testing.T, linked bool) (*vcsim.Sim, *govmomi.Client) {
	t.Helper()
	s, err := vcsim.Start(t.Context(), vcsim.Options{Address: "127.0.0.1:0", Username: "capstan", Password: "secret", LinkedClones: linked})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c, err := s.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// newDriver starts a driver on s with settings changed by change.
func newDriver(t *testing.T, s *vcsim.Sim, change ...func(*v1alpha1.VSphereDriver)) *vsphere.Driver {
	t.Helper()
	d, err := startDriver(t, s, change...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func startDriver(t *testing.T, s *vcsim.Sim, change ...func(*v1alpha1.VSphereDriver)) (*vsphere.Driver, error) {
	t.Helper()
	cfg := s.Driver("10.0.0.10-10.0.0.11")
	for _, c := range change {
		c(&cfg)
	}
	d, err := vsphere.New(t.Context(), cfg, s.Credentials(), logr.Discard())
	if err == nil {
		t.Cleanup(func() { _ = d.Close(context.Background()) })
	}
	return d, err
}

func vms(t *testing.T, c *govmomi.Client) []string {
	t.Helper()
	names, err := vcsim.VMs(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// reportIP does what VMware Tools does in a booted guest: it reports the VM's address.
func reportIP(t *testing.T, c *govmomi.Client, name, ip string) {
	t.Helper()
	vm, err := finder(t, c).VirtualMachine(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Reconfigure(t.Context(), types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: "SET.guest.ipAddress", Value: ip},
	}})
	if err := vsphere.WaitTask(t.Context(), task, err); err != nil {
		t.Fatal(err)
	}
}

func machine(disk int32) cloud.InstanceSpec {
	return cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: disk, Image: vcsim.Image, UserData: []byte("#cloud-config\n")}
}

func TestInstanceLifecycle(t *testing.T) {
	s, c := startSim(t, false)
	d := newDriver(t, s)
	ctx := t.Context()
	const id = "default.worker-0"
	spec := machine(40)
	spec.FailureDomain = "fd-b"

	created, err := d.CreateInstance(ctx, id, spec)
	if err != nil {
		t.Fatal(err)
	}
	if created.State != cloud.InstanceStateProvisioning {
		t.Errorf("a new VM whose guest reports no address: state %s, want Provisioning", created.State)
	}
	if !strings.HasPrefix(created.ProviderID, vsphere.ProviderIDPrefix) || len(created.ProviderID) <= len(vsphere.ProviderIDPrefix) {
		t.Errorf("providerID %q, want vsphere://<BIOS UUID>", created.ProviderID)
	}
	want := cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 40, Image: vcsim.Image, FailureDomain: "fd-b"}
	if diff := cmp.Diff(want, created.Spec); diff != "" {
		t.Errorf("observed spec (a full clone grows the template's 20 GiB disk): -want, +got:\n%s", diff)
	}

	reportIP(t, c, id, "192.168.1.20")
	running, err := d.GetInstance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantAddrs := []cloud.Address{{Type: cloud.AddressInternalIP, Address: "192.168.1.20"}, {Type: cloud.AddressHostname, Address: "default-worker-0"}}
	if running.State != cloud.InstanceStateRunning || !cmp.Equal(wantAddrs, running.Addresses) {
		t.Errorf("after the guest reported its address: state %s, addresses %v; want Running, %v", running.State, running.Addresses, wantAddrs)
	}

	again, err := d.CreateInstance(ctx, id, spec)
	if err != nil || again.ProviderID != created.ProviderID {
		t.Errorf("creating it again: %v, providerID %q; want the same VM %q", err, again.ProviderID, created.ProviderID)
	}
	if diff := cmp.Diff([]string{id}, vms(t, c)); diff != "" {
		t.Errorf("VMs: -want, +got:\n%s", diff)
	}

	if err := d.DeleteInstance(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetInstance(ctx, id); !cloud.IsNotFound(err) {
		t.Errorf("after delete: want not found, got %v", err)
	}
	if err := d.DeleteInstance(ctx, id); err != nil {
		t.Errorf("deleting a missing VM: %v, want no error", err)
	}
	if got := vms(t, c); len(got) != 0 {
		t.Errorf("VMs after delete: %v, want none", got)
	}
}

// TestCallsPerInstance counts the vSphere API calls of one machine's life as the Instance
// controller drives it: create, observe while it boots, observe it running, delete.
func TestCallsPerInstance(t *testing.T) {
	s, c := startSim(t, true)
	d := newDriver(t, s)
	ctx := t.Context()
	before := d.Calls()
	if _, err := d.CreateInstance(ctx, "default.m", machine(vcsim.TemplateDiskGiB)); err != nil {
		t.Fatal(err)
	}
	created := total(d.Calls()) - total(before)
	reportIP(t, c, "default.m", "192.168.1.21")
	if i, err := d.GetInstance(ctx, "default.m"); err != nil || i.State != cloud.InstanceStateRunning {
		t.Fatalf("GetInstance: %v, %v", i, err)
	}
	observed := total(d.Calls()) - total(before) - created
	if err := d.DeleteInstance(ctx, "default.m"); err != nil {
		t.Fatal(err)
	}
	deleted := total(d.Calls()) - total(before) - created - observed
	t.Logf("FIGURE: vSphere API calls per Instance: create %d, observe %d, delete %d (%v)", created, observed, deleted, diffCalls(d.Calls(), before))
	// NOTE: bounds, not exact figures: a task's wait takes as many calls as it polls.
	if created > 20 || observed > 3 || deleted > 20 {
		t.Errorf("calls per Instance: create %d (want <= 20), observe %d (want <= 3), delete %d (want <= 20)", created, observed, deleted)
	}
}

func total(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

func diffCalls(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func TestLinkedClones(t *testing.T) {
	s, c := startSim(t, true)
	d := newDriver(t, s)
	ctx := t.Context()
	if _, err := d.CreateInstance(ctx, "default.small", machine(vcsim.TemplateDiskGiB)); err != nil {
		t.Fatalf("a linked clone with the template's disk: %v", err)
	}
	for disk, want := range map[int32]string{40: "a linked clone cannot grow its disk", 10: "a clone cannot shrink it"} {
		_, err := d.CreateInstance(ctx, "default.other", machine(disk))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a linked clone with a %d GiB disk: %v, want an error saying %q", disk, err, want)
		}
	}
	if diff := cmp.Diff([]string{"default.small"}, vms(t, c)); diff != "" {
		t.Errorf("VMs: -want, +got:\n%s", diff)
	}
}

// TestConcurrentCreates makes one machine from two reconciles at once, as a provider that
// restarted mid-clone does: vCenter keeps the name unique and both get the same VM.
func TestConcurrentCreates(t *testing.T) {
	s, c := startSim(t, false)
	d := newDriver(t, s)
	var wg sync.WaitGroup
	ids := make([]string, 2)
	errs := make([]error, 2)
	for n := range 2 {
		wg.Go(func() {
			i, err := d.CreateInstance(t.Context(), "default.twice", machine(20))
			errs[n] = err
			if err == nil {
				ids[n] = i.ProviderID
			}
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || ids[0] != ids[1] {
		t.Errorf("two concurrent creates: %v, %v, providerIDs %q and %q; want the same VM twice", errs[0], errs[1], ids[0], ids[1])
	}
	if diff := cmp.Diff([]string{"default.twice"}, vms(t, c)); diff != "" {
		t.Errorf("VMs: -want, +got:\n%s", diff)
	}
}

// TestForeignVMUntouched: a VM of the same name Capstan did not make is neither adopted nor
// destroyed.
func TestForeignVMUntouched(t *testing.T) {
	s, c := startSim(t, false)
	d := newDriver(t, s)
	ctx := t.Context()
	cloneWithoutID(t, c, "default.someones")
	for what, err := range map[string]error{
		"create": func() error { _, err := d.CreateInstance(ctx, "default.someones", machine(20)); return err }(),
		"get":    func() error { _, err := d.GetInstance(ctx, "default.someones"); return err }(),
		"delete": d.DeleteInstance(ctx, "default.someones"),
	} {
		if err == nil || !strings.Contains(err.Error(), "was not made by Capstan") {
			t.Errorf("%s a VM Capstan did not make: %v, want an error saying so", what, err)
		}
	}
	if diff := cmp.Diff([]string{"default.someones"}, vms(t, c)); diff != "" {
		t.Errorf("VMs: -want, +got:\n%s", diff)
	}
}

// TestCreateWaitsForCloneInFlight: a create that finds a VM of its name without Capstan's ID yet,
// as another create's clone shows it, waits for the ID and returns that VM.
func TestCreateWaitsForCloneInFlight(t *testing.T) {
	s, c := startSim(t, false)
	d := newDriver(t, s)
	vm := cloneWithoutID(t, c, "default.late")
	go func() {
		time.Sleep(time.Second)
		task, err := vm.Reconfigure(context.Background(), types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
			&types.OptionValue{Key: "capstan.id", Value: "default.late"},
		}})
		_ = vsphere.WaitTask(context.Background(), task, err)
	}()
	i, err := d.CreateInstance(t.Context(), "default.late", machine(20))
	if err != nil {
		t.Fatalf("create while the VM of its name gets its ID a second later: %v, want that VM", err)
	}
	if want := vsphere.ProviderIDPrefix + vm.UUID(t.Context()); i.ProviderID != want {
		t.Errorf("create returned providerID %q, want the VM already there, %q", i.ProviderID, want)
	}
	if diff := cmp.Diff([]string{"default.late"}, vms(t, c)); diff != "" {
		t.Errorf("VMs: -want, +got:\n%s", diff)
	}
}

// cloneWithoutID clones the simulator's template as VM name, as someone other than Capstan would:
// without Capstan's ID in its extraConfig.
func cloneWithoutID(t *testing.T, c *govmomi.Client, name string) *object.VirtualMachine {
	t.Helper()
	ctx := t.Context()
	f := finder(t, c)
	tmpl, err := f.VirtualMachine(ctx, vcsim.Image)
	if err != nil {
		t.Fatal(err)
	}
	folder, err := f.DefaultFolder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := f.ResourcePool(ctx, vcsim.ComputeCluster+"/Resources")
	if err != nil {
		t.Fatal(err)
	}
	p := pool.Reference()
	task, err := tmpl.Clone(ctx, folder, name, types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: &p}})
	if err := vsphere.WaitTask(ctx, task, err); err != nil {
		t.Fatal(err)
	}
	vm, err := f.VirtualMachine(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// finder finds objects in the simulated datacenter.
func finder(t *testing.T, c *govmomi.Client) *find.Finder {
	t.Helper()
	f := find.NewFinder(c.Client, true)
	dc, err := f.Datacenter(t.Context(), vcsim.Datacenter)
	if err != nil {
		t.Fatal(err)
	}
	return f.SetDatacenter(dc)
}

// TestBadSettings: every setting that cannot work is refused when the driver starts, or when a
// machine asks for it, naming the field.
func TestBadSettings(t *testing.T) {
	s, _ := startSim(t, false)
	starts := map[string]struct {
		change func(*v1alpha1.VSphereDriver)
		creds  *vsphere.Credentials
		want   string
	}{
		"Datacenter":    {change: func(d *v1alpha1.VSphereDriver) { d.Datacenter = "DC9" }, want: `spec.driver.vsphere.datacenter "DC9"`},
		"Datastore":     {change: func(d *v1alpha1.VSphereDriver) { d.Datastore = "nowhere" }, want: `spec.driver.vsphere.datastore "nowhere"`},
		"Network":       {change: func(d *v1alpha1.VSphereDriver) { d.Network = "nonet" }, want: `spec.driver.vsphere.network "nonet"`},
		"Template":      {change: func(d *v1alpha1.VSphereDriver) { d.Images[0].Template = "gone" }, want: `spec.driver.vsphere.images[0].template "gone"`},
		"Cluster":       {change: func(d *v1alpha1.VSphereDriver) { d.ComputeCluster = "C9" }, want: `spec.driver.vsphere.computeCluster "C9"`},
		"FailureDomain": {change: func(d *v1alpha1.VSphereDriver) { d.FailureDomains[1].Host = "DC0_C0/H9" }, want: `spec.driver.vsphere.failureDomains[1].host "DC0_C0/H9"`},
		"Pool":          {change: func(d *v1alpha1.VSphereDriver) { d.ControlPlaneEndpoints.Addresses = []string{"vip"} }, want: `spec.driver.vsphere.controlPlaneEndpoints.addresses[0] "vip"`},
		"CABundle":      {change: func(d *v1alpha1.VSphereDriver) { d.TLS.CABundle = "not PEM" }, want: "spec.driver.vsphere.tls.caBundle holds no PEM"},
		"UnknownCA": {change: func(d *v1alpha1.VSphereDriver) {
			d.TLS = v1alpha1.VSphereTLS{Thumbprint: "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"}
		}, want: "cannot reach the vCenter"},
		"Password": {creds: &vsphere.Credentials{Username: "capstan", Password: "wrong"}, want: "cannot log in to the vCenter"},
	}
	for name, tc := range starts {
		t.Run(name, func(t *testing.T) {
			cfg := s.Driver("10.0.0.10")
			if tc.change != nil {
				tc.change(&cfg)
			}
			creds := s.Credentials()
			if tc.creds != nil {
				creds = *tc.creds
			}
			d, err := vsphere.New(t.Context(), cfg, creds, logr.Discard())
			if err == nil {
				_ = d.Close(t.Context())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(...): %v, want an error containing %q", err, tc.want)
			}
		})
	}

	d := newDriver(t, s)
	for name, tc := range map[string]struct {
		change func(*cloud.InstanceSpec)
		want   string
	}{
		"Image":         {change: func(s *cloud.InstanceSpec) { s.Image = "windows" }, want: `spec.forProvider.image "windows" is not an image of the provider config (spec.driver.vsphere.images has: capstan-node-ubuntu-24.04)`},
		"FailureDomain": {change: func(s *cloud.InstanceSpec) { s.FailureDomain = "fd-z" }, want: `spec.forProvider.failureDomain "fd-z" is not a failure domain of the provider config (spec.driver.vsphere.failureDomains has: fd-a, fd-b, fd-c)`},
		"Network":       {change: func(s *cloud.InstanceSpec) { s.Network = "nonet" }, want: `spec.forProvider.network "nonet"`},
	} {
		t.Run("Instance"+name, func(t *testing.T) {
			spec := machine(20)
			tc.change(&spec)
			_, err := d.CreateInstance(t.Context(), "default.bad", spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CreateInstance(...): %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestSettingsAccepted: the other ways to name the vCenter and check its certificate work.
func TestSettingsAccepted(t *testing.T) {
	s, _ := startSim(t, false)
	for name, change := range map[string]func(*v1alpha1.VSphereDriver){
		"Thumbprint": func(d *v1alpha1.VSphereDriver) { d.TLS = v1alpha1.VSphereTLS{Thumbprint: s.Thumbprint()} },
		"Insecure":   func(d *v1alpha1.VSphereDriver) { d.TLS = v1alpha1.VSphereTLS{Insecure: true} },
		"HostPort":   func(d *v1alpha1.VSphereDriver) { d.Server = s.URL().Host },
		"ResourcePool": func(d *v1alpha1.VSphereDriver) {
			d.ComputeCluster, d.ResourcePool = "", vcsim.ComputeCluster+"/Resources"
		},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := startDriver(t, s, change); err != nil {
				t.Errorf("New(...): %v", err)
			}
		})
	}
}

// TestSessionEnded: a driver whose session vCenter ended (a restart, an administrator) logs in
// again and carries on.
func TestSessionEnded(t *testing.T) {
	s, c := startSim(t, false)
	d := newDriver(t, s)
	ctx := t.Context()
	if _, err := d.CreateInstance(ctx, "default.m", machine(20)); err != nil {
		t.Fatal(err)
	}
	own, err := c.SessionManager.UserSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sm mo.SessionManager
	if err := c.RetrieveOne(ctx, *c.ServiceContent.SessionManager, []string{"sessionList"}, &sm); err != nil {
		t.Fatal(err)
	}
	var others []string
	for _, us := range sm.SessionList {
		if us.Key != own.Key {
			others = append(others, us.Key)
		}
	}
	if len(others) == 0 {
		t.Fatal("the driver's session is not in the vCenter's session list")
	}
	if err := c.SessionManager.TerminateSession(ctx, others); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetInstance(ctx, "default.m"); err != nil {
		t.Errorf("GetInstance after the vCenter ended the driver's session: %v, want the VM after a new login", err)
	}
	if calls := d.Calls()["Login"]; calls != 2 {
		t.Errorf("logins: %d, want 2 (the first, and one after the session ended)", calls)
	}
}
