/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capstanmachine

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

const ns = "team-a"

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, clusterv1.AddToScheme, infrav1.AddToScheme,
		computev1alpha1.AddToScheme, networkv1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

type clusterOption func(*clusterv1.Cluster)

func cluster(opts ...clusterOption) *clusterv1.Cluster {
	c := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c", UID: "cluster-uid"},
		Spec: clusterv1.ClusterSpec{InfrastructureRef: clusterv1.ContractVersionedObjectReference{
			APIGroup: infrav1.Group, Kind: infrav1.CapstanClusterKind, Name: "c-abc",
		}},
	}
	c.Status.Initialization.InfrastructureProvisioned = ptr.To(true)
	for _, o := range opts {
		o(c)
	}
	return c
}

func infraNotProvisioned() clusterOption {
	return func(c *clusterv1.Cluster) { c.Status.Initialization.InfrastructureProvisioned = nil }
}
func withPaused() clusterOption { return func(c *clusterv1.Cluster) { c.Spec.Paused = ptr.To(true) } }

func capstanCluster() *infrav1.CapstanCluster {
	return &infrav1.CapstanCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c-abc", UID: "capstan-cluster-uid"},
		Spec: infrav1.CapstanClusterSpec{
			ProviderConfigRef: &infrav1.ProviderConfigReference{Kind: infrav1.ProviderConfigKindCluster, Name: "lab"},
		},
	}
}

type machineOption func(*clusterv1.Machine)

func machine(name string, opts ...machineOption) *clusterv1.Machine {
	m := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(name + "-uid"),
			Labels: map[string]string{clusterv1.ClusterNameLabel: "c"}},
		Spec: clusterv1.MachineSpec{ClusterName: "c", Bootstrap: clusterv1.Bootstrap{DataSecretName: ptr.To(name + "-bootstrap")}},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

func controlPlane() machineOption {
	return func(m *clusterv1.Machine) { m.Labels[clusterv1.MachineControlPlaneLabel] = "" }
}
func noBootstrapData() machineOption {
	return func(m *clusterv1.Machine) { m.Spec.Bootstrap.DataSecretName = nil }
}
func inFailureDomain(fd string) machineOption {
	return func(m *clusterv1.Machine) { m.Spec.FailureDomain = fd }
}

type cmOption func(*infrav1.CapstanMachine)

func capstanMachine(name string, opts ...cmOption) *infrav1.CapstanMachine {
	cm := &infrav1.CapstanMachine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID(name + "-cm-uid"),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Machine", Name: name, UID: types.UID(name + "-uid")}},
			Finalizers:      []string{infrav1.MachineFinalizer},
		},
		Spec: infrav1.CapstanMachineSpec{Size: "small", Image: "kubernetes-v1.35.4", FailureDomain: "zone-z"},
	}
	// NOTE: as after an earlier reconcile: the first one only records that the Cluster is not paused.
	cm.Status.Conditions = []metav1.Condition{{Type: clusterv1.PausedCondition, Status: metav1.ConditionFalse, Reason: clusterv1.NotPausedReason, LastTransitionTime: metav1.Now()}}
	for _, o := range opts {
		o(cm)
	}
	return cm
}

func deleting() cmOption {
	return func(cm *infrav1.CapstanMachine) { cm.DeletionTimestamp = &metav1.Time{Time: time.Now()} }
}

type instanceOption func(*computev1alpha1.Instance)

// inst is the Instance the controller made for CapstanMachine name of Machine m.
func inst(m *clusterv1.Machine, name string, opts ...instanceOption) *computev1alpha1.Instance {
	in := instance(cluster(), capstanCluster(), m, capstanMachine(name))
	meta.SetExternalName(in, "id-"+name)
	for _, o := range opts {
		o(in)
	}
	return in
}

func runningAt(ip string) instanceOption {
	return func(in *computev1alpha1.Instance) {
		in.SetConditions(xpv2.Available())
		in.Status.AtProvider = computev1alpha1.InstanceObservation{
			State: stateRunning, ProviderID: "capstan://" + meta.GetExternalName(in), FailureDomain: "zone-b",
			Addresses: []computev1alpha1.InstanceAddress{{Type: "InternalIP", Address: ip}},
		}
	}
}

func failed(msg string) instanceOption {
	return func(in *computev1alpha1.Instance) {
		in.Status.AtProvider.State, in.Status.AtProvider.Message = stateFailed, msg
	}
}

func lb(ids ...string) *networkv1alpha1.LoadBalancer {
	l := &networkv1alpha1.LoadBalancer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c-abc"}}
	l.Spec.ForProvider.Listeners = []networkv1alpha1.Listener{{Port: 6443, Protocol: networkv1alpha1.ProtocolTCP}}
	l.Spec.ForProvider.Backends.InstanceIDs = ids
	return l
}

// state is what a test looks at after a reconcile.
type state struct {
	Gone        bool
	Finalizers  []string
	ProviderID  string
	Provisioned *bool
	Addresses   []clusterv1.MachineAddress
	// Conditions are type: status/reason.
	Conditions map[string]string
	Instance   *computev1alpha1.InstanceSpec
	Labels     map[string]string
	Backends   []string
}

func observeState(t *testing.T, c client.Client, name string) state {
	t.Helper()
	ctx := context.Background()
	s := state{}
	cm := &infrav1.CapstanMachine{}
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, cm)
	switch {
	case apierrors.IsNotFound(err):
		s.Gone = true
	case err != nil:
		t.Fatal(err)
	default:
		s.Finalizers = cm.Finalizers
		s.ProviderID = cm.Spec.ProviderID
		s.Provisioned = cm.Status.Initialization.Provisioned
		s.Addresses = cm.Status.Addresses
		for _, cond := range cm.Status.Conditions {
			if s.Conditions == nil {
				s.Conditions = map[string]string{}
			}
			s.Conditions[cond.Type] = string(cond.Status) + "/" + cond.Reason
		}
	}
	in := &computev1alpha1.Instance{}
	switch err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, in); {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Fatal(err)
	default:
		s.Instance = &in.Spec
		s.Labels = in.Labels
	}
	l := &networkv1alpha1.LoadBalancer{}
	switch err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "c-abc"}, l); {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Fatal(err)
	default:
		s.Backends = l.Spec.ForProvider.Backends.InstanceIDs
	}
	return s
}

func TestReconcile(t *testing.T) {
	notPaused := "False/NotPaused"
	worker, cp, cp2 := machine("w-1", inFailureDomain("zone-a")), machine("cp-1", controlPlane()), machine("cp-2", controlPlane())
	workerInstance := &computev1alpha1.InstanceSpec{
		ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "lab"}},
		ForProvider: computev1alpha1.InstanceParameters{
			Size: ptr.To("small"), Image: "kubernetes-v1.35.4", FailureDomain: ptr.To("zone-a"),
			BootstrapDataSecretRef: &computev1alpha1.BootstrapDataSecretRef{Name: "w-1-bootstrap", Key: "value"},
		},
	}
	type want struct {
		result ctrl.Result
		err    bool
		state  state
	}
	cases := map[string]struct {
		reason  string
		name    string
		objects []client.Object
		want    want
	}{
		"Paused": {
			reason:  "A paused Cluster's machines get no Instance, and say so.",
			name:    "w-1",
			objects: []client.Object{cluster(withPaused()), capstanCluster(), worker, capstanMachine("w-1")},
			want: want{state: state{
				Finalizers: []string{infrav1.MachineFinalizer},
				Conditions: map[string]string{clusterv1.PausedCondition: "True/Paused"},
			}},
		},
		"WaitsForClusterInfrastructure": {
			reason:  "No Instance is made before the cluster's load balancer is provisioned.",
			name:    "w-1",
			objects: []client.Object{cluster(infraNotProvisioned()), capstanCluster(), worker, capstanMachine("w-1")},
			want: want{state: state{
				Finalizers: []string{infrav1.MachineFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "False/" + infrav1.WaitingForClusterInfrastructureReason,
					infrav1.ReadyCondition:               "False/NotReady",
				},
			}},
		},
		"WaitsForBootstrapData": {
			reason:  "No Instance is made before the Machine's bootstrap data Secret is there.",
			name:    "w-1",
			objects: []client.Object{cluster(), capstanCluster(), machine("w-1", noBootstrapData()), capstanMachine("w-1")},
			want: want{state: state{
				Finalizers: []string{infrav1.MachineFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "False/" + infrav1.WaitingForBootstrapDataReason,
					infrav1.ReadyCondition:               "False/NotReady",
				},
			}},
		},
		"CreatesInstance": {
			reason:  "The Instance boots from the bootstrap data, in the Machine's failure domain, on the cluster's provider config.",
			name:    "w-1",
			objects: []client.Object{cluster(), capstanCluster(), worker, capstanMachine("w-1")},
			want: want{state: state{
				Finalizers: []string{infrav1.MachineFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "False/Provisioning",
					infrav1.ReadyCondition:               "False/NotReady",
				},
				Instance: workerInstance,
				Labels:   map[string]string{clusterv1.ClusterNameLabel: "c"},
			}},
		},
		"WorkerProvisioned": {
			reason:  "A running worker Instance gives the machine its providerID and addresses, and makes it provisioned.",
			name:    "w-1",
			objects: []client.Object{cluster(), capstanCluster(), worker, capstanMachine("w-1"), inst(worker, "w-1", runningAt("10.0.0.7"))},
			want: want{state: state{
				Finalizers:  []string{infrav1.MachineFinalizer},
				ProviderID:  "capstan://id-w-1",
				Provisioned: ptr.To(true),
				Addresses:   []clusterv1.MachineAddress{{Type: clusterv1.MachineInternalIP, Address: "10.0.0.7"}},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "True/Provisioned",
					infrav1.ReadyCondition:               "True/Ready",
				},
				Instance: workerInstance,
				Labels:   map[string]string{clusterv1.ClusterNameLabel: "c"},
			}},
		},
		"InstanceFailed": {
			reason:  "A failed Instance is reported with the cloud's message, and the machine is not provisioned.",
			name:    "w-1",
			objects: []client.Object{cluster(), capstanCluster(), worker, capstanMachine("w-1"), inst(worker, "w-1", failed("no capacity"))},
			want: want{state: state{
				Finalizers: []string{infrav1.MachineFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "False/Failed",
					infrav1.ReadyCondition:               "False/NotReady",
				},
				Instance: workerInstance,
				Labels:   map[string]string{clusterv1.ClusterNameLabel: "c"},
			}},
		},
		"ControlPlaneBackend": {
			reason: "A running control-plane Instance, with every other control-plane Instance of the cluster, becomes a backend of the LoadBalancer.",
			name:   "cp-2",
			objects: []client.Object{cluster(), capstanCluster(), cp, cp2, capstanMachine("cp-1"), capstanMachine("cp-2"),
				inst(cp, "cp-1", runningAt("10.0.0.1")), inst(cp2, "cp-2", runningAt("10.0.0.2")), lb("id-cp-1")},
			want: want{state: state{
				Finalizers:  []string{infrav1.MachineFinalizer},
				ProviderID:  "capstan://id-cp-2",
				Provisioned: ptr.To(true),
				Addresses:   []clusterv1.MachineAddress{{Type: clusterv1.MachineInternalIP, Address: "10.0.0.2"}},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "True/Provisioned",
					infrav1.LoadBalancerBackendCondition: "True/Registered",
					infrav1.ReadyCondition:               "True/Ready",
				},
				Instance: &inst(cp2, "cp-2").Spec,
				Labels:   map[string]string{clusterv1.ClusterNameLabel: "c", clusterv1.MachineControlPlaneLabel: ""},
				Backends: []string{"id-cp-1", "id-cp-2"},
			}},
		},
		"DeleteLeavesLoadBalancerFirst": {
			reason: "A control-plane machine being deleted leaves the LoadBalancer, deletes its Instance, and keeps its finalizer until the Instance is gone.",
			name:   "cp-2",
			objects: []client.Object{cluster(), capstanCluster(), cp, cp2, capstanMachine("cp-1"), capstanMachine("cp-2", deleting()),
				inst(cp, "cp-1", runningAt("10.0.0.1")), inst(cp2, "cp-2", runningAt("10.0.0.2")), lb("id-cp-1", "id-cp-2")},
			want: want{result: ctrl.Result{RequeueAfter: waitForDeletion}, state: state{
				Finalizers: []string{infrav1.MachineFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:            notPaused,
					infrav1.InstanceProvisionedCondition: "False/Deleting",
					infrav1.ReadyCondition:               "False/Deleting",
				},
				Backends: []string{"id-cp-1"},
			}},
		},
		"DeleteDone": {
			reason:  "Once the Instance is gone the finalizer goes, and with it the CapstanMachine.",
			name:    "w-1",
			objects: []client.Object{cluster(), capstanCluster(), worker, capstanMachine("w-1", deleting())},
			want:    want{state: state{Gone: true}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(tc.objects...).
				WithStatusSubresource(&infrav1.CapstanMachine{}, &computev1alpha1.Instance{}, &networkv1alpha1.LoadBalancer{}).Build()
			r := &Reconciler{Client: c}
			got, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: tc.name}})
			if (err != nil) != tc.want.err {
				t.Errorf("\n%s\nReconcile(...): want error %t, got %v", tc.reason, tc.want.err, err)
			}
			if diff := cmp.Diff(tc.want.result, got); diff != "" {
				t.Errorf("\n%s\nReconcile(...): -want result, +got result:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.state, observeState(t, c, tc.name)); diff != "" {
				t.Errorf("\n%s\nReconcile(...): -want state, +got state:\n%s", tc.reason, diff)
			}
		})
	}
}
