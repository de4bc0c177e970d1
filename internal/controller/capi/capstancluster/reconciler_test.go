/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capstancluster

import (
	"context"
	"fmt"
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
	"sigs.k8s.io/yaml"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

const ns = "team-a"

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, clusterv1.AddToScheme, infrav1.AddToScheme, networkv1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

type clusterOption func(*clusterv1.Cluster)

func cluster(opts ...clusterOption) *clusterv1.Cluster {
	c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c", UID: "cluster-uid"}}
	for _, o := range opts {
		o(c)
	}
	return c
}

func withPaused() clusterOption { return func(c *clusterv1.Cluster) { c.Spec.Paused = ptr.To(true) } }

type ccOption func(*infrav1.CapstanCluster)

func capstanCluster(opts ...ccOption) *infrav1.CapstanCluster {
	capstanCluster := &infrav1.CapstanCluster{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: "c-abc", UID: "capstan-cluster-uid",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: "c", UID: "cluster-uid"}},
		Finalizers:      []string{infrav1.ClusterFinalizer},
	}}
	// NOTE: as after an earlier reconcile: the first one only records that the Cluster is not paused.
	capstanCluster.Status.Conditions = []metav1.Condition{{Type: clusterv1.PausedCondition, Status: metav1.ConditionFalse, Reason: clusterv1.NotPausedReason, LastTransitionTime: metav1.Now()}}
	for _, o := range opts {
		o(capstanCluster)
	}
	return capstanCluster
}

func withoutOwner() ccOption {
	return func(capstanCluster *infrav1.CapstanCluster) { capstanCluster.OwnerReferences = nil }
}
func withoutFinalizer() ccOption {
	return func(capstanCluster *infrav1.CapstanCluster) { capstanCluster.Finalizers = nil }
}
func deleting() ccOption {
	return func(capstanCluster *infrav1.CapstanCluster) {
		capstanCluster.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	}
}
func withSpec(s infrav1.CapstanClusterSpec) ccOption {
	return func(capstanCluster *infrav1.CapstanCluster) { capstanCluster.Spec = s }
}

type lbOption func(*networkv1alpha1.LoadBalancer)

func lb(opts ...lbOption) *networkv1alpha1.LoadBalancer {
	l := loadBalancer(cluster(), capstanCluster())
	for _, o := range opts {
		o(l)
	}
	return l
}

func withEndpoint(host string, port int32) lbOption {
	return func(l *networkv1alpha1.LoadBalancer) {
		l.SetConditions(xpv2.Available())
		l.Status.AtProvider.Host, l.Status.AtProvider.Port = host, port
	}
}

func foreign() lbOption { return func(l *networkv1alpha1.LoadBalancer) { l.OwnerReferences = nil } }

func virtualIP() lbOption {
	return func(l *networkv1alpha1.LoadBalancer) { l.Status.AtProvider.VirtualIP = true }
}

// strangersSecret is a Secret of the kube-vip manifest's name that someone else made.
func strangersSecret() *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: infrav1.KubeVIPSecretName("c")}}
}

// state is what a test looks at after a reconcile.
type state struct {
	Gone           bool
	Finalizers     []string
	Endpoint       infrav1.APIEndpoint
	Provisioned    *bool
	FailureDomains []clusterv1.FailureDomain
	// Conditions are type: status/reason.
	Conditions map[string]string
	LB         *lbState
	// KubeVIP is "<image> <address>:<port> on <interface>" of the kube-vip manifest Secret.
	KubeVIP string
}

type lbState struct {
	Labels            map[string]string
	Owner             string
	Listeners         []networkv1alpha1.Listener
	ProviderConfigRef *xpv2.ProviderConfigReference
}

func observe(t *testing.T, c client.Client) state {
	t.Helper()
	ctx := context.Background()
	s := state{}
	capstanCluster := &infrav1.CapstanCluster{}
	err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "c-abc"}, capstanCluster)
	switch {
	case apierrors.IsNotFound(err):
		s.Gone = true
	case err != nil:
		t.Fatal(err)
	default:
		s.Finalizers = capstanCluster.Finalizers
		s.Endpoint = capstanCluster.Spec.ControlPlaneEndpoint
		s.Provisioned = capstanCluster.Status.Initialization.Provisioned
		s.FailureDomains = capstanCluster.Status.FailureDomains
		for _, cond := range capstanCluster.Status.Conditions {
			if s.Conditions == nil {
				s.Conditions = map[string]string{}
			}
			s.Conditions[cond.Type] = string(cond.Status) + "/" + cond.Reason
		}
	}
	s.KubeVIP = kubeVIP(t, c)
	l := &networkv1alpha1.LoadBalancer{}
	err = c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "c-abc"}, l)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Fatal(err)
	default:
		s.LB = &lbState{Labels: l.Labels, Listeners: l.Spec.ForProvider.Listeners, ProviderConfigRef: l.Spec.ProviderConfigReference}
		if o := metav1.GetControllerOf(l); o != nil {
			s.LB.Owner = o.Kind + "/" + o.Name
		}
	}
	return s
}

// kubeVIP describes the kube-vip static pod the controller wrote for the cluster, "" for none.
func kubeVIP(t *testing.T, c client.Client) string {
	t.Helper()
	secret := &corev1.Secret{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: infrav1.KubeVIPSecretName("c")}, secret); err != nil || secret.Data == nil {
		return ""
	}
	pod := &corev1.Pod{}
	if err := yaml.Unmarshal(secret.Data[infrav1.KubeVIPSecretKey], pod); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, e := range pod.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	return fmt.Sprintf("%s %s:%s on %s", pod.Spec.Containers[0].Image, env["address"], env["port"], env["vip_interface"])
}

func TestReconcile(t *testing.T) {
	defaultLB := &lbState{
		Labels:    map[string]string{clusterv1.ClusterNameLabel: "c"},
		Owner:     "CapstanCluster/c-abc",
		Listeners: []networkv1alpha1.Listener{{Port: DefaultAPIServerPort, Protocol: networkv1alpha1.ProtocolTCP}},
	}
	type want struct {
		result ctrl.Result
		err    bool
		state  state
	}
	cases := map[string]struct {
		reason  string
		objects []client.Object
		want    want
	}{
		"NoOwnerCluster": {
			reason:  "A CapstanCluster that Cluster API has not adopted yet is left alone.",
			objects: []client.Object{cluster(), capstanCluster(withoutOwner(), withoutFinalizer())},
			want:    want{state: state{Conditions: map[string]string{clusterv1.PausedCondition: "False/NotPaused"}}},
		},
		"AddsFinalizer": {
			reason:  "The finalizer goes on before anything is made, so nothing can leak.",
			objects: []client.Object{cluster(), capstanCluster(withoutFinalizer())},
			want: want{state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				Conditions: map[string]string{clusterv1.PausedCondition: "False/NotPaused"},
			}},
		},
		"Paused": {
			reason:  "A paused Cluster gets no LoadBalancer, and says so.",
			objects: []client.Object{cluster(withPaused()), capstanCluster()},
			want: want{state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				Conditions: map[string]string{clusterv1.PausedCondition: "True/Paused"},
			}},
		},
		"CreatesLoadBalancer": {
			reason: "A new CapstanCluster gets a LoadBalancer on the API server port with its provider config, and offers its failure domains.",
			objects: []client.Object{cluster(), capstanCluster(withSpec(infrav1.CapstanClusterSpec{
				FailureDomains:    []string{"zone-a", "zone-b"},
				ProviderConfigRef: &infrav1.ProviderConfigReference{Kind: infrav1.ProviderConfigKindCluster, Name: "lab"},
				LoadBalancer:      infrav1.CapstanLoadBalancer{APIServerPort: 7443},
			}))},
			want: want{state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				FailureDomains: []clusterv1.FailureDomain{
					{Name: "zone-a", ControlPlane: ptr.To(true)}, {Name: "zone-b", ControlPlane: ptr.To(true)},
				},
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "False/Provisioning",
					infrav1.ReadyCondition:                 "False/NotReady",
				},
				LB: &lbState{
					Labels:            defaultLB.Labels,
					Owner:             defaultLB.Owner,
					Listeners:         []networkv1alpha1.Listener{{Port: 7443, Protocol: networkv1alpha1.ProtocolTCP}},
					ProviderConfigRef: &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "lab"},
				},
			}},
		},
		"WaitsForEndpoint": {
			reason:  "A LoadBalancer that is not ready yet gives no endpoint.",
			objects: []client.Object{cluster(), capstanCluster(), lb()},
			want: want{state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "False/Provisioning",
					infrav1.ReadyCondition:                 "False/NotReady",
				},
				LB: defaultLB,
			}},
		},
		"EndpointFromLoadBalancer": {
			reason:  "A ready LoadBalancer's address becomes the control-plane endpoint, and the cluster's infrastructure is provisioned.",
			objects: []client.Object{cluster(), capstanCluster(), lb(withEndpoint("127.0.0.1", 20001))},
			want: want{state: state{
				Finalizers:  []string{infrav1.ClusterFinalizer},
				Endpoint:    infrav1.APIEndpoint{Host: "127.0.0.1", Port: 20001},
				Provisioned: ptr.To(true),
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "True/Available",
					infrav1.ReadyCondition:                 "True/Ready",
				},
				LB: defaultLB,
			}},
		},
		"VirtualIPGetsKubeVIP": {
			reason: "A virtual IP the machines announce gets its kube-vip manifest before the cluster is provisioned.",
			objects: []client.Object{cluster(), capstanCluster(withSpec(infrav1.CapstanClusterSpec{
				LoadBalancer: infrav1.CapstanLoadBalancer{KubeVIP: infrav1.KubeVIP{Interface: "ens192"}},
			})), lb(withEndpoint("10.0.0.10", 6443), virtualIP())},
			want: want{state: state{
				Finalizers:  []string{infrav1.ClusterFinalizer},
				Endpoint:    infrav1.APIEndpoint{Host: "10.0.0.10", Port: 6443},
				Provisioned: ptr.To(true),
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "True/Available",
					infrav1.ReadyCondition:                 "True/Ready",
				},
				LB:      defaultLB,
				KubeVIP: DefaultKubeVIPImage + " 10.0.0.10:6443 on ens192",
			}},
		},
		"KubeVIPSecretTaken": {
			reason:  "A Secret of the manifest's name that is not the CapstanCluster's is left alone, and the cluster is not provisioned.",
			objects: []client.Object{cluster(), capstanCluster(), lb(withEndpoint("10.0.0.10", 6443), virtualIP()), strangersSecret()},
			want: want{err: true, state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "False/Failed",
					infrav1.ReadyCondition:                 "False/NotReady",
				},
				LB: defaultLB,
			}},
		},
		"EndpointNeverMoves": {
			reason: "Once set, the endpoint stays: it is in every kubeconfig of the cluster.",
			objects: []client.Object{cluster(), capstanCluster(withSpec(infrav1.CapstanClusterSpec{
				ControlPlaneEndpoint: infrav1.APIEndpoint{Host: "127.0.0.1", Port: 20001},
			})), lb(withEndpoint("127.0.0.1", 20099))},
			want: want{state: state{
				Finalizers:  []string{infrav1.ClusterFinalizer},
				Endpoint:    infrav1.APIEndpoint{Host: "127.0.0.1", Port: 20001},
				Provisioned: ptr.To(true),
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "True/Available",
					infrav1.ReadyCondition:                 "True/Ready",
				},
				LB: defaultLB,
			}},
		},
		"ForeignLoadBalancer": {
			reason:  "A LoadBalancer of the same name that this CapstanCluster does not control is never taken over.",
			objects: []client.Object{cluster(), capstanCluster(), lb(foreign())},
			want: want{err: true, state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "False/Failed",
					infrav1.ReadyCondition:                 "False/NotReady",
				},
				LB: &lbState{Labels: defaultLB.Labels, Listeners: defaultLB.Listeners},
			}},
		},
		"DeleteWaitsForLoadBalancer": {
			reason:  "Deletion deletes the LoadBalancer and keeps the finalizer until it is gone.",
			objects: []client.Object{cluster(), capstanCluster(deleting()), lb()},
			want: want{result: ctrl.Result{RequeueAfter: waitForDeletion}, state: state{
				Finalizers: []string{infrav1.ClusterFinalizer},
				Conditions: map[string]string{
					clusterv1.PausedCondition:              "False/NotPaused",
					infrav1.LoadBalancerAvailableCondition: "False/Deleting",
					infrav1.ReadyCondition:                 "False/Deleting",
				},
			}},
		},
		"DeleteDone": {
			reason:  "Once the LoadBalancer is gone the finalizer goes, and with it the CapstanCluster.",
			objects: []client.Object{cluster(), capstanCluster(deleting())},
			want:    want{state: state{Gone: true}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(tc.objects...).
				WithStatusSubresource(&infrav1.CapstanCluster{}, &networkv1alpha1.LoadBalancer{}).Build()
			r := &Reconciler{Client: c}
			got, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "c-abc"}})
			if (err != nil) != tc.want.err {
				t.Errorf("\n%s\nReconcile(...): want error %t, got %v", tc.reason, tc.want.err, err)
			}
			if diff := cmp.Diff(tc.want.result, got); diff != "" {
				t.Errorf("\n%s\nReconcile(...): -want result, +got result:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.state, observe(t, c)); diff != "" {
				t.Errorf("\n%s\nReconcile(...): -want state, +got state:\n%s", tc.reason, diff)
			}
		})
	}
}
