/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere/vcsim"
)

// TestIntegrationVSphereFaults runs Instances on a simulated vCenter that misbehaves as vCenters
// do: a clone task that fails, a host that is gone, tasks that take seconds. Each failure shows on
// the Instance's Synced condition with vCenter's own words, is retried, and the Instance ends with
// exactly one VM; deleting them leaves none.
func TestIntegrationVSphereFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local management plane")
	}
	ctx := context.Background()
	// NOTE: started first, so it stops after the provider's drivers log out of it.
	sim, err := vcsim.Start(ctx, vcsim.Options{
		Address: "127.0.0.1:0", Username: "capstan", Password: "secret", LinkedClones: true,
		MethodDelay: map[string]time.Duration{"Destroy_Task": 2 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := startEnv(t, envOptions{MaxReconcileRate: 10, PollInterval: time.Minute})
	vc, err := sim.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vcenterConfig(t, e.kube, sim)

	cases := map[string]struct {
		rule *simulator.FaultInjectionRule
		want string
	}{
		"clone-fails": {
			rule: &simulator.FaultInjectionRule{
				MethodName: "CloneVM_Task", ObjectType: "VirtualMachine", ObjectName: "*", Probability: 1, MaxCount: 2, Enabled: true,
				FaultType: simulator.FaultTypeInsufficientResourcesFault, Message: "Insufficient disk space on datastore LocalDS_0",
			},
			want: "Insufficient disk space on datastore LocalDS_0",
		},
		"host-gone": {
			rule: &simulator.FaultInjectionRule{
				MethodName: "CloneVM_Task", ObjectType: "VirtualMachine", ObjectName: "*", Probability: 1, MaxCount: 1, Enabled: true,
				FaultType: simulator.FaultTypeCustom, Fault: &types.HostNotConnected{}, Message: "host DC0_C0_H1 is not connected",
			},
			want: "host DC0_C0_H1 is not connected",
		},
		"slow-clone": {
			rule: &simulator.FaultInjectionRule{
				MethodName: "CloneVM_Task", ObjectType: "VirtualMachine", ObjectName: "*", Probability: 1, MaxCount: 1, Enabled: true,
				FaultType: simulator.FaultTypeTimeout, Delay: 3000, Message: "the operation timed out after 3s",
			},
			want: "the operation timed out after 3s",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim.Service().ClearFaultRules()
			sim.Service().AddFaultRule(tc.rule)
			inst := vsphereInstance(name)
			if err := e.kube.Create(ctx, inst); err != nil {
				t.Fatal(err)
			}
			key := client.ObjectKeyFromObject(inst)
			waitFor(t, readyTimeout, "the fault on the Instance's Synced condition", func(ctx context.Context) (bool, error) {
				err := e.kube.Get(ctx, key, inst)
				c := inst.GetCondition(xpv2.TypeSynced)
				return err == nil && c.Status == corev1.ConditionFalse && strings.Contains(c.Message, tc.want), err
			}, func() string { return describe(inst) })
			t.Logf("Synced: %s", inst.GetCondition(xpv2.TypeSynced).Message)
			waitFor(t, readyTimeout, "the Instance to be created on a retry", func(ctx context.Context) (bool, error) {
				err := e.kube.Get(ctx, key, inst)
				return err == nil && meta.GetExternalName(inst) != "" && inst.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue, err
			}, func() string { return describe(inst) })
			if diff := cmp.Diff([]string{"default." + name}, vmsOf(t, vc, "default."+name)); diff != "" {
				t.Errorf("VMs of the Instance: -want, +got:\n%s", diff)
			}
		})
	}
	sim.Service().ClearFaultRules()

	for name := range cases {
		if err := e.kube.Delete(ctx, vsphereInstance(name)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, readyTimeout, "every Instance and VM to be gone (each Destroy_Task takes 2s)", func(ctx context.Context) (bool, error) {
		list := &computev1alpha1.InstanceList{}
		if err := e.kube.List(ctx, list); err != nil {
			return false, err
		}
		vms, err := vcsim.VMs(ctx, vc)
		return len(list.Items) == 0 && len(vms) == 0, err
	}, func() string { vms, _ := vcsim.VMs(ctx, vc); return fmt.Sprint(vms) })
}

// vcenterConfig makes the ClusterProviderConfig vcenter on sim, with its credentials Secret.
func vcenterConfig(t *testing.T, kube client.Client, sim *vcsim.Sim) {
	t.Helper()
	ctx := context.Background()
	creds, err := json.Marshal(sim.Credentials()) //nolint:gosec // G117: the Secret a provider config reads the credentials from.
	if err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vcenter"}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "vcenter", Name: "credentials"}, Data: map[string][]byte{"credentials": creds}}
	driver := sim.Driver("10.0.0.10-10.0.0.20")
	pc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "vcenter"},
		Spec: v1alpha1.ProviderConfigSpec{
			Driver: v1alpha1.DriverConfig{VSphere: &driver},
			Credentials: v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
				SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "vcenter", Name: "credentials"}, Key: "credentials"},
			}},
		},
	}
	for _, o := range []client.Object{secret, pc} {
		if err := kube.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// vsphereInstance is a small machine on the vcenter provider config.
func vsphereInstance(name string) *computev1alpha1.Instance {
	i := &computev1alpha1.Instance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: computev1alpha1.InstanceSpec{ForProvider: computev1alpha1.InstanceParameters{
			Size: ptr.To("small"), Image: vcsim.Image, FailureDomain: ptr.To("fd-b"),
		}},
	}
	i.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "vcenter"})
	return i
}

// vmsOf are the VMs whose name starts with prefix.
func vmsOf(t *testing.T, c *govmomi.Client, prefix string) []string {
	t.Helper()
	all, err := vcsim.VMs(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range all {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
