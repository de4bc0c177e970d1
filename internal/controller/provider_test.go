/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	readyTimeout = 90 * time.Second
	goneTimeout  = 60 * time.Second

	// exampleEndpoint is the endpoint the example Instance's bootstrap data names: the first port
	// of the example ClusterProviderConfig's range.
	exampleEndpoint = "127.0.0.1:26443"
)

// TestIntegrationProvider runs the managed resource controllers on a real API server and the
// in-memory cloud: the API server refuses bad objects, the examples become Ready, and deleting
// them leaves nothing behind in the cloud.
func TestIntegrationProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local management plane")
	}
	e := startEnv(t, envOptions{MaxReconcileRate: 10, PollInterval: time.Minute})
	ctx := context.Background()

	t.Run("RefusesBadObjects", func(t *testing.T) { testRefusesBadObjects(t, e.kube) })

	// NOTE: the example Instance boots from bootstrap data that names the endpoint the example
	// LoadBalancer gets in a fresh cloud. Other tests on this machine may hold that port, so the
	// LoadBalancer goes first and the bootstrap data gets the endpoint it really has.
	applied := time.Now()
	examples := readExamples(t, examplesDir)
	inst := &computev1alpha1.Instance{}
	lb := &networkv1alpha1.LoadBalancer{}
	instKey := types.NamespacedName{Namespace: "default", Name: "example-cp"}
	lbKey := types.NamespacedName{Namespace: "default", Name: "example-api"}
	create := func(first bool) {
		for _, o := range examples {
			if isEndpoint := o.GetKind() == "ClusterProviderConfig" || o.GetKind() == "LoadBalancer"; isEndpoint != first {
				continue
			}
			if o.GetKind() == "Secret" {
				v, _, _ := unstructured.NestedString(o.Object, "stringData", "value")
				_ = unstructured.SetNestedField(o.Object, strings.ReplaceAll(v, exampleEndpoint, lb.Status.AtProvider.Endpoint), "stringData", "value")
			}
			if err := e.kube.Create(ctx, o); err != nil {
				t.Fatalf("Create %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	}
	create(true)
	waitFor(t, readyTimeout, "the example LoadBalancer to have an endpoint", func(ctx context.Context) (bool, error) {
		err := e.kube.Get(ctx, lbKey, lb)
		return err == nil && lb.Status.AtProvider.Endpoint != "", err
	}, func() string { return describe(lb) })
	create(false)
	waitFor(t, readyTimeout, "the example Instance and LoadBalancer to be Ready", func(ctx context.Context) (bool, error) {
		if err := e.kube.Get(ctx, instKey, inst); err != nil {
			return false, err
		}
		if err := e.kube.Get(ctx, lbKey, lb); err != nil {
			return false, err
		}
		return isReady(inst) && isReady(lb), nil
	}, func() string { return describe(inst) + "\n" + describe(lb) })
	t.Logf("examples Ready %s after they were applied", time.Since(applied).Round(time.Millisecond))

	t.Run("Observed", func(t *testing.T) {
		if diff := cmp.Diff("default.example-cp", meta.GetExternalName(inst)); diff != "" {
			t.Errorf("Instance external name: -want, +got:\n%s", diff)
		}
		if diff := cmp.Diff("Running", inst.Status.AtProvider.State); diff != "" {
			t.Errorf("Instance state: -want, +got:\n%s", diff)
		}
		if inst.Spec.ForProvider.FailureDomain == nil || *inst.Spec.ForProvider.FailureDomain != inst.Status.AtProvider.FailureDomain {
			t.Errorf("Instance failure domain: want the cloud's choice %q late-initialized, got %v", inst.Status.AtProvider.FailureDomain, inst.Spec.ForProvider.FailureDomain)
		}
		if lb.Status.AtProvider.Port < 26443 || lb.Status.AtProvider.Port > 26999 {
			t.Errorf("LoadBalancer port: want one of the config's range 26443-26999, got %d", lb.Status.AtProvider.Port)
		}
		waitFor(t, readyTimeout, "the Instance to be a backend of the LoadBalancer", func(ctx context.Context) (bool, error) {
			err := e.kube.Get(ctx, lbKey, lb)
			return err == nil && len(lb.Status.AtProvider.Backends) == 1 && lb.Status.AtProvider.Backends[0].InstanceID == "default.example-cp", err
		}, func() string { return describe(lb) })
		// A LoadBalancer whose backends resolve on every reconcile must not rewrite its spec each time.
		gen := lb.GetGeneration()
		time.Sleep(2 * time.Second)
		if err := e.kube.Get(ctx, lbKey, lb); err != nil {
			t.Fatal(err)
		}
		if lb.GetGeneration() != gen {
			t.Errorf("LoadBalancer generation: want it stable at %d while nothing changes, got %d two seconds later", gen, lb.GetGeneration())
		}
		conn, err := net.DialTimeout("tcp", lb.Status.AtProvider.Endpoint, 5*time.Second)
		if err != nil {
			t.Fatalf("the LoadBalancer does not listen: %v", err)
		}
		_ = conn.Close()
	})

	t.Run("UsageTracked", func(t *testing.T) {
		cpc := &v1alpha1.ClusterProviderConfig{}
		waitFor(t, readyTimeout, "the ClusterProviderConfig to count its 2 users", func(ctx context.Context) (bool, error) {
			err := e.kube.Get(ctx, types.NamespacedName{Name: "default"}, cpc)
			return err == nil && cpc.Status.Users == 2, err
		}, func() string { return fmt.Sprintf("%+v", cpc.Status) })
	})

	t.Run("RefusesChanges", func(t *testing.T) { testRefusesChanges(t, e.kube, inst, lb) })

	t.Run("ChangesLogged", func(t *testing.T) {
		for _, want := range []string{"OPERATION_TYPE_CREATE Instance/example-cp", "OPERATION_TYPE_CREATE LoadBalancer/example-api"} {
			if !e.changes.logged(want) {
				t.Errorf("change logs: want %q, got %v", want, e.changes.entries)
			}
		}
	})

	drv := e.driver(t, inst)
	endpoint := lb.Status.AtProvider.Endpoint
	deleted := time.Now()
	if err := e.kube.Delete(ctx, inst); err != nil {
		t.Fatal(err)
	}
	if err := e.kube.Delete(ctx, lb); err != nil {
		t.Fatal(err)
	}
	waitFor(t, goneTimeout, "the example Instance and LoadBalancer to be gone", func(ctx context.Context) (bool, error) {
		errI, errL := e.kube.Get(ctx, instKey, inst), e.kube.Get(ctx, lbKey, lb)
		return apierrors.IsNotFound(errI) && apierrors.IsNotFound(errL), nil
	}, func() string { return describe(inst) + "\n" + describe(lb) })
	t.Logf("examples gone %s after they were deleted", time.Since(deleted).Round(time.Millisecond))

	t.Run("NothingLeft", func(t *testing.T) {
		if _, err := drv.GetInstance(ctx, "default.example-cp"); !cloud.IsNotFound(err) {
			t.Errorf("GetInstance(...): want not found, got %v", err)
		}
		if _, err := drv.GetLoadBalancer(ctx, "default.example-api"); !cloud.IsNotFound(err) {
			t.Errorf("GetLoadBalancer(...): want not found, got %v", err)
		}
		l, err := net.Listen("tcp", endpoint)
		if err != nil {
			t.Fatalf("the LoadBalancer's port is still taken: %v", err)
		}
		_ = l.Close()
	})

	t.Run("ProviderConfigDeletable", func(t *testing.T) {
		cpc := &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
		if err := e.kube.Delete(ctx, cpc); err != nil {
			t.Fatal(err)
		}
		waitFor(t, goneTimeout, "the unused ClusterProviderConfig to be gone", func(ctx context.Context) (bool, error) {
			return apierrors.IsNotFound(e.kube.Get(ctx, types.NamespacedName{Name: "default"}, cpc)), nil
		}, func() string { return fmt.Sprintf("%+v", cpc.Status) })
	})
}

// refusal is the part of an API server refusal a test expects: the field, and a message fragment.
type refusal struct {
	Field   string
	Message string
}

// refusalOf returns the refusal of err that concerns want's field, keeping want's message when
// the cause's message holds it.
func refusalOf(err error, want refusal) *refusal {
	if err == nil {
		return nil
	}
	s, ok := err.(apierrors.APIStatus)
	if !ok || s.Status().Details == nil {
		return &refusal{Message: err.Error()}
	}
	for _, c := range s.Status().Details.Causes {
		if c.Field == want.Field && strings.Contains(c.Message, want.Message) {
			return &want
		}
	}
	return &refusal{Message: err.Error()}
}

func goodInstance() *computev1alpha1.Instance {
	return &computev1alpha1.Instance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad"},
		Spec: computev1alpha1.InstanceSpec{ForProvider: computev1alpha1.InstanceParameters{
			Size:  ptr.To("small"),
			Image: "capstan/kubernetes:v1.35.4",
		}},
	}
}

func goodLoadBalancer() *networkv1alpha1.LoadBalancer {
	return &networkv1alpha1.LoadBalancer{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad"},
		Spec: networkv1alpha1.LoadBalancerSpec{ForProvider: networkv1alpha1.LoadBalancerParameters{
			Listeners: []networkv1alpha1.Listener{{Port: 6443, Protocol: "TLS"}},
		}},
	}
}

// vsphereConfig is a good vsphere provider config, changed by change.
func vsphereConfig(change func(*v1alpha1.ClusterProviderConfig)) *v1alpha1.ClusterProviderConfig {
	c := goodConfig()
	c.Spec.Driver.InMemory = nil
	c.Spec.Driver.VSphere = &v1alpha1.VSphereDriver{
		Server: "vcenter.example.com", TLS: v1alpha1.VSphereTLS{Thumbprint: "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"},
		Datacenter: "dc1", ComputeCluster: "cluster-a", Datastore: "ds", Network: "net",
		Images:                []v1alpha1.VSphereImage{{Name: "ubuntu", Template: "templates/ubuntu"}},
		ControlPlaneEndpoints: v1alpha1.VSphereAddressPool{Addresses: []string{"10.0.0.10-10.0.0.20"}},
	}
	if change != nil {
		change(c)
	}
	return c
}

func goodConfig() *v1alpha1.ClusterProviderConfig {
	return &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: v1alpha1.ProviderConfigSpec{
			Driver:      v1alpha1.DriverConfig{InMemory: &v1alpha1.InMemoryDriver{}},
			Credentials: v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceNone},
		},
	}
}

// testRefusesBadObjects asks the API server to create bad objects (dry run) and expects each
// refused with a message that names the bad field.
func testRefusesBadObjects(t *testing.T, kube client.Client) {
	cases := map[string]struct {
		reason string
		obj    client.Object
		want   refusal
	}{
		"Good": {
			reason: "The baseline objects the cases spoil are accepted.",
			obj:    goodInstance(),
		},
		"SizeAndResources": {
			reason: "An Instance names a catalogue size or explicit resources, not both.",
			obj: func() client.Object {
				i := goodInstance()
				i.Spec.ForProvider.Resources = &computev1alpha1.InstanceResources{CPU: 2, MemoryMiB: 2048, DiskGiB: 10}
				return i
			}(),
			want: refusal{Field: "spec.forProvider", Message: "exactly one of size or resources must be set"},
		},
		"NeitherSizeNorResources": {
			reason: "An Instance must say how big it is.",
			obj: func() client.Object {
				i := goodInstance()
				i.Spec.ForProvider.Size = nil
				return i
			}(),
			want: refusal{Field: "spec.forProvider", Message: "exactly one of size or resources must be set"},
		},
		"BadSizeName": {
			reason: "A size is a DNS label.",
			obj: func() client.Object {
				i := goodInstance()
				i.Spec.ForProvider.Size = ptr.To("Large!")
				return i
			}(),
			want: refusal{Field: "spec.forProvider.size", Message: "should match"},
		},
		"ZeroCPU": {
			reason: "Explicit resources have at least one CPU.",
			obj: func() client.Object {
				i := goodInstance()
				i.Spec.ForProvider.Size = nil
				i.Spec.ForProvider.Resources = &computev1alpha1.InstanceResources{CPU: 0, MemoryMiB: 2048, DiskGiB: 10}
				return i
			}(),
			want: refusal{Field: "spec.forProvider.resources.cpu", Message: "should be greater than or equal to 1"},
		},
		"NoImage": {
			reason: "An Instance boots an image.",
			obj: func() client.Object {
				i := goodInstance()
				i.Spec.ForProvider.Image = ""
				return i
			}(),
			want: refusal{Field: "spec.forProvider.image", Message: "should be at least 1 chars long"},
		},
		"TwoListeners": {
			reason: "A LoadBalancer has one listener: its endpoint.",
			obj: func() client.Object {
				lb := goodLoadBalancer()
				lb.Spec.ForProvider.Listeners = append(lb.Spec.ForProvider.Listeners, networkv1alpha1.Listener{Port: 443})
				return lb
			}(),
			want: refusal{Field: "spec.forProvider.listeners", Message: "must have at most 1 item"},
		},
		"UDPListener": {
			reason: "A listener speaks TCP or TLS.",
			obj: func() client.Object {
				lb := goodLoadBalancer()
				lb.Spec.ForProvider.Listeners[0].Protocol = "UDP"
				return lb
			}(),
			want: refusal{Field: "spec.forProvider.listeners[0].protocol", Message: `Unsupported value: "UDP"`},
		},
		"InstanceSelectorOfOtherNamespace": {
			reason: "Backends are Instances of the LoadBalancer's own namespace.",
			obj: func() client.Object {
				lb := goodLoadBalancer()
				lb.Spec.ForProvider.Backends.InstanceSelector = &xpv2.NamespacedSelector{Namespace: "other"}
				return lb
			}(),
			want: refusal{Field: "spec.forProvider.backends", Message: "instanceSelector.namespace must be unset"},
		},
		"NoDriver": {
			reason: "A provider config selects exactly one driver.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Driver.InMemory = nil
				return c
			}(),
			want: refusal{Field: "spec.driver", Message: "exactly one driver must be set"},
		},
		"ReversedPortRange": {
			reason: "A port range runs upwards.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Driver.InMemory.PortRange = &v1alpha1.PortRange{Min: 30000, Max: 20000}
				return c
			}(),
			want: refusal{Field: "spec.driver.inMemory.portRange", Message: "min must not be greater than max"},
		},
		"BindAddressNotIP": {
			reason: "Listeners bind to an IP address.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Driver.InMemory.BindAddress = "localhost"
				return c
			}(),
			want: refusal{Field: "spec.driver.inMemory.bindAddress", Message: "bindAddress must be an IP address"},
		},
		"FaultPercentOver100": {
			reason: "A fault's share is a percentage.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Driver.InMemory.Faults = &v1alpha1.InMemoryFaults{CreateErrorPercent: 101}
				return c
			}(),
			want: refusal{Field: "spec.driver.inMemory.faults.createErrorPercent", Message: "should be less than or equal to 100"},
		},
		"NegativeWorkerDeath": {
			reason: "A fault's share is never negative.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Driver.InMemory.Faults = &v1alpha1.InMemoryFaults{WorkerDeathPercent: -1}
				return c
			}(),
			want: refusal{Field: "spec.driver.inMemory.faults.workerDeathPercent", Message: "should be greater than or equal to 0"},
		},
		"EndpointNotHTTP": {
			reason: "The cloud's API is reached over http on loopback.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Driver.InMemory.Endpoint = "127.0.0.1:7443"
				return c
			}(),
			want: refusal{Field: "spec.driver.inMemory.endpoint", Message: "endpoint must be an http:// URL"},
		},
		"GoodVSphere": {
			reason: "The baseline vsphere provider config the cases below spoil is accepted.",
			obj:    vsphereConfig(nil),
		},
		"TwoDrivers": {
			reason: "A provider config cannot select two drivers.",
			obj: vsphereConfig(func(c *v1alpha1.ClusterProviderConfig) {
				c.Spec.Driver.InMemory = &v1alpha1.InMemoryDriver{}
			}),
			want: refusal{Field: "spec.driver", Message: "exactly one driver must be set (supported: inMemory, vsphere)"},
		},
		"VSphereClusterAndPool": {
			reason: "Machines run in a compute cluster or a resource pool, not both.",
			obj: vsphereConfig(func(c *v1alpha1.ClusterProviderConfig) {
				c.Spec.Driver.VSphere.ResourcePool = "cluster-a/Resources"
			}),
			want: refusal{Field: "spec.driver.vsphere", Message: "exactly one of computeCluster and resourcePool must be set"},
		},
		"VSphereUncheckedTLS": {
			reason: "The vCenter's certificate is checked, unless insecure is asked for.",
			obj: vsphereConfig(func(c *v1alpha1.ClusterProviderConfig) {
				c.Spec.Driver.VSphere.TLS = v1alpha1.VSphereTLS{}
			}),
			want: refusal{Field: "spec.driver.vsphere.tls", Message: "set exactly one of caBundle, thumbprint and insecure: true"},
		},
		"VSphereBadThumbprint": {
			reason: "A thumbprint is a SHA-1 in the vSphere client's notation.",
			obj: vsphereConfig(func(c *v1alpha1.ClusterProviderConfig) {
				c.Spec.Driver.VSphere.TLS.Thumbprint = "sha1:abc"
			}),
			want: refusal{Field: "spec.driver.vsphere.tls.thumbprint", Message: "should match"},
		},
		"VSphereFailureDomainPlacesNothing": {
			reason: "A failure domain names where its machines go.",
			obj: vsphereConfig(func(c *v1alpha1.ClusterProviderConfig) {
				c.Spec.Driver.VSphere.FailureDomains = []v1alpha1.VSphereFailureDomain{{Name: "fd-a"}}
			}),
			want: refusal{Field: "spec.driver.vsphere.failureDomains[0]", Message: "a failure domain must name a computeCluster, host or datastore"},
		},
		"VSphereNoAddresses": {
			reason: "Control planes need a pool of addresses.",
			obj: vsphereConfig(func(c *v1alpha1.ClusterProviderConfig) {
				c.Spec.Driver.VSphere.ControlPlaneEndpoints.Addresses = nil
			}),
			want: refusal{Field: "spec.driver.vsphere.controlPlaneEndpoints.addresses", Message: "Required value"},
		},
		"SecretSourceWithoutRef": {
			reason: "Credentials from a Secret name the Secret.",
			obj: func() client.Object {
				c := goodConfig()
				c.Spec.Credentials.Source = xpv2.CredentialsSourceSecret
				return c
			}(),
			want: refusal{Field: "spec.credentials", Message: "secretRef is required when source is Secret"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := kube.Create(context.Background(), tc.obj, client.DryRunAll)
			var want *refusal
			if tc.want != (refusal{}) {
				want = &tc.want
			}
			if diff := cmp.Diff(want, refusalOf(err, tc.want)); diff != "" {
				t.Errorf("%s\nCreate(...): -want refusal, +got refusal:\n%s", tc.reason, diff)
			}
		})
	}
}

// testRefusesChanges asks the API server to change what cannot change (dry run).
func testRefusesChanges(t *testing.T, kube client.Client, inst *computev1alpha1.Instance, lb *networkv1alpha1.LoadBalancer) {
	cases := map[string]struct {
		reason string
		obj    client.Object
		want   refusal
	}{
		"Image": {
			reason: "An instance is replaced, not changed.",
			obj: func() client.Object {
				i := inst.DeepCopy()
				i.Spec.ForProvider.Image = "capstan/kubernetes:v1.36.0"
				return i
			}(),
			want: refusal{Field: "spec.forProvider.image", Message: "image is immutable"},
		},
		"FailureDomainRemoved": {
			reason: "The failure domain the cloud chose stays.",
			obj: func() client.Object {
				i := inst.DeepCopy()
				i.Spec.ForProvider.FailureDomain = nil
				return i
			}(),
			want: refusal{Field: "spec.forProvider", Message: "failureDomain cannot be removed once set"},
		},
		"Listener": {
			reason: "The endpoint of a load balancer is in every kubeconfig.",
			obj: func() client.Object {
				l := lb.DeepCopy()
				l.Spec.ForProvider.Listeners[0].Port = 443
				return l
			}(),
			want: refusal{Field: "spec.forProvider.listeners", Message: "listeners are immutable"},
		},
		"Backends": {
			reason: "Backends may change.",
			obj: func() client.Object {
				l := lb.DeepCopy()
				l.Spec.ForProvider.Backends.Addresses = []string{"10.0.0.9"}
				return l
			}(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// NOTE: the controllers keep writing these objects; change the latest version.
			latest := tc.obj.DeepCopyObject().(client.Object)
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(tc.obj), latest); err != nil {
				t.Fatal(err)
			}
			tc.obj.SetResourceVersion(latest.GetResourceVersion())
			err := kube.Update(context.Background(), tc.obj, client.DryRunAll)
			var want *refusal
			if tc.want != (refusal{}) {
				want = &tc.want
			}
			if diff := cmp.Diff(want, refusalOf(err, tc.want)); diff != "" {
				t.Errorf("%s\nUpdate(...): -want refusal, +got refusal:\n%s", tc.reason, diff)
			}
		})
	}
}
