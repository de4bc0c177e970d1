//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere/vcsim"
	"github.com/capstan-dev/capstan/internal/stack"
)

// TestClusterClaimOnVSphere files the same claim on the in-memory cloud and on the simulated
// vCenter at once, and follows the vSphere one: Ready, its Nodes listed through its kubeconfig
// (the API server behind kube-vip's virtual IP), a pool scaled 1 -> 3 -> 1 with a VM per
// machine, and deletion leaving no VM and no reserved address. Both clouds' times are reported.
func TestClusterClaimOnVSphere(t *testing.T) {
	// NOTE: runs beside the other parallel tests, after every serial one: each touches only its
	// own claims (and only this one the simulated vCenter).
	t.Parallel()
	ctx := context.Background()
	vc := vcenter(ctx, t)
	if vms := vcenterVMs(ctx, t, vc); len(vms) != 0 {
		t.Fatalf("the simulated vCenter holds VMs before the test: %v", vms)
	}

	const onVSphere, inMemory = "on-vsphere", "in-memory"
	spec := func(providerConfig string) map[string]any {
		return map[string]any{
			"version":           "v1.35.4",
			"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": providerConfig},
			"workers":           []any{map[string]any{"name": "default", "replicas": int64(1)}},
		}
	}
	start := time.Now()
	for name, pc := range map[string]string{onVSphere: stack.VSphereSimProviderConfigName, inMemory: stack.DefaultProviderConfigName} {
		claim := claimObject(name, spec(pc))
		if err := env.kube.Create(ctx, claim); err != nil {
			t.Fatalf("create claim %s: %v", name, err)
		}
		t.Cleanup(func() { _ = env.kube.Delete(context.Background(), claim) })
	}
	readyAfter := map[string]time.Duration{}
	poll(ctx, t, "both claims Ready", readyTimeout, func(ctx context.Context) (bool, error) {
		for _, name := range []string{onVSphere, inMemory} {
			if _, ok := readyAfter[name]; !ok && ready(getClaim(ctx, t, name)) {
				readyAfter[name] = time.Since(start)
			}
		}
		return len(readyAfter) == 2, nil
	})
	for _, name := range []string{onVSphere, inMemory} {
		t.Logf("FIGURE: claim on %s Ready %s after both were filed", name, readyAfter[name].Round(time.Second))
	}

	waitNodes(ctx, t, onVSphere, 1, 1, time.Minute)
	if vms := vcenterVMs(ctx, t, vc); len(vms) != 2 {
		t.Errorf("VMs for 1 control-plane and 1 worker machine: %v", vms)
	}
	claim := getClaim(ctx, t, onVSphere)
	endpoint, _, _ := unstructured.NestedString(claim.Object, "status", "controlPlaneEndpoint")
	if addrs := reservedAddresses(ctx, t, vc); len(addrs) != 1 || !strings.HasPrefix(endpoint, addrs[0]+":") {
		t.Errorf("reserved control-plane addresses: %v, want the one of the endpoint %s", addrs, endpoint)
	}

	for _, replicas := range []int64{3, 1} {
		scaled := time.Now()
		patchClaim(ctx, t, onVSphere, func(claim *unstructured.Unstructured) {
			workers, _, _ := unstructured.NestedSlice(claim.Object, "spec", "workers")
			workers[0].(map[string]any)["replicas"] = replicas
			_ = unstructured.SetNestedSlice(claim.Object, workers, "spec", "workers")
		})
		waitNodes(ctx, t, onVSphere, 1, int(replicas), 2*time.Minute)
		poll(ctx, t, "a VM per machine", time.Minute, func(ctx context.Context) (bool, error) {
			return len(vcenterVMs(ctx, t, vc)) == int(replicas)+1, nil
		})
		t.Logf("FIGURE: pool on vSphere scaled to %d in %s", replicas, time.Since(scaled).Round(100*time.Millisecond))
	}

	deleted := time.Now()
	for _, name := range []string{onVSphere, inMemory} {
		if err := env.kube.Delete(ctx, getClaim(ctx, t, name)); err != nil {
			t.Fatalf("delete claim %s: %v", name, err)
		}
	}
	// NOTE: a claim is deleted once it, its Instances and its LoadBalancer are gone, and on
	// vSphere its VMs and reserved address too.
	gone := map[string]time.Duration{}
	poll(ctx, t, "both claims and their machines gone, and no VM or reserved address left in the vCenter", deleteTimeout, func(ctx context.Context) (bool, error) {
		for _, name := range []string{onVSphere, inMemory} {
			if _, ok := gone[name]; ok || claimExists(ctx, t, name) || managedResources(ctx, t, name) > 0 {
				continue
			}
			if name == onVSphere && (len(vcenterVMs(ctx, t, vc)) > 0 || len(reservedAddresses(ctx, t, vc)) > 0) {
				continue
			}
			gone[name] = time.Since(deleted)
		}
		return len(gone) == 2, nil
	})
	for _, name := range []string{onVSphere, inMemory} {
		t.Logf("FIGURE: claim on %s deleted in %s", name, gone[name].Round(100*time.Millisecond))
	}
	if conn, err := net.DialTimeout("tcp", endpoint, time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("the virtual IP %s still accepts connections once every control-plane machine is gone", endpoint)
	}
}

func claimExists(ctx context.Context, t *testing.T, name string) bool {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("get claim %s: %v", name, err)
	}
	return err == nil
}

// managedResources counts the Instances and LoadBalancers of the claim's cluster.
func managedResources(ctx context.Context, t *testing.T, name string) int {
	t.Helper()
	is, lbs := &computev1alpha1.InstanceList{}, &networkv1alpha1.LoadBalancerList{}
	for _, l := range []client.ObjectList{is, lbs} {
		if err := env.kube.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{clusterv1.ClusterNameLabel: name}); err != nil {
			t.Fatalf("list managed resources: %v", err)
		}
	}
	return len(is.Items) + len(lbs.Items)
}

// vcenter logs in to the simulated vCenter as the provider does: with the server, certificate
// and credentials its ClusterProviderConfig names.
func vcenter(ctx context.Context, t *testing.T) *govmomi.Client {
	t.Helper()
	pc := &v1alpha1.ClusterProviderConfig{}
	if err := env.kube.Get(ctx, client.ObjectKey{Name: stack.VSphereSimProviderConfigName}, pc); err != nil {
		t.Fatalf("get ClusterProviderConfig %s: %v", stack.VSphereSimProviderConfigName, err)
	}
	ref := pc.Spec.Credentials.SecretRef
	s := &corev1.Secret{}
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, s); err != nil {
		t.Fatalf("get the credentials Secret: %v", err)
	}
	creds, err := vsphere.ParseCredentials(s.Data[ref.Key])
	if err != nil {
		t.Fatal(err)
	}
	u, err := soap.ParseURL(pc.Spec.Driver.VSphere.Server)
	if err != nil {
		t.Fatal(err)
	}
	sc := soap.NewClient(u, true) // NOTE: this test checks the provider, not the certificate.
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if err := c.Login(ctx, url.UserPassword(creds.Username, creds.Password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

func vcenterVMs(ctx context.Context, t *testing.T, c *govmomi.Client) []string {
	t.Helper()
	vms, err := vcsim.VMs(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return vms
}

func reservedAddresses(ctx context.Context, t *testing.T, c *govmomi.Client) []string {
	t.Helper()
	a, err := vcsim.ReservedAddresses(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
