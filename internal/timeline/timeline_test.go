/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package timeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
)

func TestRead(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	at := func(s int) metav1.Time { return metav1.NewTime(t0.Add(time.Duration(s) * time.Second)) }
	meta := func(name string, s int, labels map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: "default", Name: name, CreationTimestamp: at(s), Labels: labels}
	}
	byClaim := map[string]string{compositeLabel: "basic"}
	byCluster := map[string]string{clusterv1.ClusterNameLabel: "basic"}
	trueAt := func(typ string, s int) []metav1.Condition {
		return []metav1.Condition{{Type: typ, Status: metav1.ConditionTrue, LastTransitionTime: at(s)}}
	}

	claim := &unstructured.Unstructured{}
	claim.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	claim.SetNamespace("default")
	claim.SetName("basic")
	claim.SetCreationTimestamp(at(0))
	_ = unstructured.SetNestedSlice(claim.Object, []any{map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": at(24).Format(time.RFC3339)}}, "status", "conditions")

	cluster := &clusterv1.Cluster{ObjectMeta: meta("basic", 1, byClaim), Spec: clusterv1.ClusterSpec{ControlPlaneRef: clusterv1.ContractVersionedObjectReference{Name: "basic-cp"}}}
	cluster.Status.Conditions = trueAt(clusterv1.AvailableCondition, 23)
	kcp := &controlplanev1.KubeadmControlPlane{ObjectMeta: meta("basic-cp", 2, byCluster)}
	kcp.Status.Conditions = trueAt(controlplanev1.KubeadmControlPlaneAvailableCondition, 14)
	lb := &networkv1alpha1.LoadBalancer{ObjectMeta: meta("basic-lb", 2, byCluster)}
	lb.SetConditions(xpv2.Available())
	lb.Status.Conditions[0].LastTransitionTime = at(4)
	m := &clusterv1.Machine{ObjectMeta: meta("basic-cp-1", 5, map[string]string{clusterv1.ClusterNameLabel: "basic", clusterv1.MachineControlPlaneLabel: ""})}
	m.Spec.InfrastructureRef.Name = "basic-cp-1"
	m.Status.Conditions = trueAt(clusterv1.MachineNodeReadyCondition, 12)
	in := &computev1alpha1.Instance{ObjectMeta: meta("basic-cp-1", 6, byCluster)}
	in.SetConditions(xpv2.Available())
	in.Status.Conditions[0].LastTransitionTime = at(9)

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clusterv1.AddToScheme, controlplanev1.AddToScheme, computev1alpha1.SchemeBuilder.AddToScheme, networkv1alpha1.SchemeBuilder.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(cluster, kcp, lb, m, in).Build()
	events, err := Read(context.Background(), withClaim{Client: c, claim: claim}, "default", "basic")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.At.Sub(t0).String()+" "+e.Stage)
	}
	want := []string{
		"0s claim filed", "1s Cluster created", "2s load balancer created", "4s load balancer ready",
		"5s control-plane machine created", "6s control-plane instance created", "9s control-plane instance running",
		"12s control-plane node ready", "14s control plane available", "23s Cluster available", "24s claim Ready",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read(...): -want, +got:\n%s", diff)
	}
	var b strings.Builder
	if err := Print(&b, events); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "14s    +2s   control plane available") {
		t.Errorf("Print(...): want offsets and steps, got:\n%s", b.String())
	}
}

// withClaim serves the claim, whose kind no scheme here knows, beside the fake client's objects.
type withClaim struct {
	client.Client
	claim *unstructured.Unstructured
}

func (w withClaim) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if u, ok := obj.(*unstructured.Unstructured); ok && u.GroupVersionKind() == platformv1alpha1.ClusterClaimGroupVersionKind {
		w.claim.DeepCopyInto(u)
		return nil
	}
	return w.Client.Get(ctx, key, obj, opts...)
}
