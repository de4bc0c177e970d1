/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis"
	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
)

var created = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fakeClient holds objs. The ClusterClaim kind is left out of its scheme so that claims stay
// unstructured, conditions and all, as they are on a real API server.
func fakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, clusterv1.AddToScheme, controlplanev1.AddToScheme, apis.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

// claim builds a ClusterClaim with the given status.
func claim(name string, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.capstan.dev/v1alpha1",
		"kind":       "ClusterClaim",
		"metadata":   map[string]any{"namespace": "default", "name": name, "creationTimestamp": created.Format(time.RFC3339)},
		"spec":       map[string]any{"version": "v1.35.4"},
	}}
	if status != nil {
		u.Object["status"] = status
	}
	return u
}

func condition(typ, status, reason, message string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": message, "lastTransitionTime": created.Format(time.RFC3339)}
}

func objMeta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: "default", Name: name, Labels: labels, CreationTimestamp: metav1.NewTime(created)}
}

func available() []metav1.Condition {
	return []metav1.Condition{{Type: clusterv1.AvailableCondition, Status: metav1.ConditionTrue, Reason: "Available", LastTransitionTime: metav1.NewTime(created)}}
}

func cluster(name, claim string) *clusterv1.Cluster {
	return &clusterv1.Cluster{
		ObjectMeta: objMeta(name, map[string]string{compositeLabel: claim}),
		Spec: clusterv1.ClusterSpec{
			ControlPlaneRef:      clusterv1.ContractVersionedObjectReference{APIGroup: controlplanev1.GroupVersion.Group, Kind: "KubeadmControlPlane", Name: name + "-cp"},
			ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "127.0.0.1", Port: 20000},
		},
		Status: clusterv1.ClusterStatus{Phase: "Provisioned", Conditions: available()},
	}
}

func machine(name, cluster string, labels map[string]string, phase, nodeName string) *clusterv1.Machine {
	l := map[string]string{clusterv1.ClusterNameLabel: cluster}
	for k, v := range labels {
		l[k] = v
	}
	m := &clusterv1.Machine{
		ObjectMeta: objMeta(name, l),
		Spec: clusterv1.MachineSpec{
			ClusterName: cluster, Version: "v1.35.4",
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "CapstanMachine", Name: name},
		},
		Status: clusterv1.MachineStatus{Phase: phase},
	}
	m.Status.NodeRef.Name = nodeName
	return m
}

func instance(name, cluster, state, addr string, conds ...xpv2.Condition) *computev1alpha1.Instance {
	in := &computev1alpha1.Instance{ObjectMeta: objMeta(name, map[string]string{clusterv1.ClusterNameLabel: cluster})}
	in.Status.AtProvider.State = state
	if addr != "" {
		in.Status.AtProvider.Addresses = []computev1alpha1.InstanceAddress{{Type: "InternalIP", Address: addr}}
	}
	in.SetConditions(conds...)
	return in
}

func TestTree(t *testing.T) {
	readyClaim := claim("basic", map[string]any{
		"conditions":           []any{condition("Synced", "True", "ReconcileSuccess", ""), condition("Ready", "True", "Available", "")},
		"version":              "v1.35.4",
		"controlPlane":         map[string]any{"desired": int64(1), "ready": int64(1), "summary": "1/1"},
		"workers":              map[string]any{"desired": int64(1), "ready": int64(1), "summary": "1/1"},
		"controlPlaneEndpoint": "127.0.0.1:20000",
	})
	kcp := &controlplanev1.KubeadmControlPlane{
		ObjectMeta: objMeta("basic-cp", map[string]string{clusterv1.ClusterNameLabel: "basic"}),
		Spec:       controlplanev1.KubeadmControlPlaneSpec{Replicas: ptr.To[int32](1), Version: "v1.35.4"},
		Status: controlplanev1.KubeadmControlPlaneStatus{
			Conditions: available(), ReadyReplicas: ptr.To[int32](1),
			Versions: []clusterv1.StatusVersion{{Version: "v1.35.4", Replicas: 1}},
		},
	}
	md := &clusterv1.MachineDeployment{
		ObjectMeta: objMeta("basic-default-x7k2p", map[string]string{clusterv1.ClusterNameLabel: "basic", clusterv1.ClusterTopologyMachineDeploymentNameLabel: "default"}),
		Spec: clusterv1.MachineDeploymentSpec{
			ClusterName: "basic", Replicas: ptr.To[int32](2),
			Template: clusterv1.MachineTemplateSpec{Spec: clusterv1.MachineSpec{ClusterName: "basic", Version: "v1.35.4"}},
		},
		Status: clusterv1.MachineDeploymentStatus{
			Phase:         "ScalingUp",
			ReadyReplicas: ptr.To[int32](1),
			Conditions: []metav1.Condition{{
				Type: clusterv1.AvailableCondition, Status: metav1.ConditionFalse, Reason: "NotAvailable",
				Message: "1 available replica, at least 2 required", LastTransitionTime: metav1.NewTime(created),
			}},
		},
	}
	objs := []client.Object{
		readyClaim, cluster("basic", "basic"), kcp, md,
		machine("basic-cp-abcde", "basic", map[string]string{clusterv1.MachineControlPlaneLabel: ""}, "Running", "basic-cp-abcde"),
		machine("basic-default-x7k2p-aaaaa", "basic", map[string]string{clusterv1.MachineDeploymentNameLabel: md.Name}, "Running", "basic-default-x7k2p-aaaaa"),
		machine("basic-default-x7k2p-bbbbb", "basic", map[string]string{clusterv1.MachineDeploymentNameLabel: md.Name}, "Provisioning", ""),
		instance("basic-cp-abcde", "basic", "Running", "10.0.0.2", xpv2.Available(), xpv2.ReconcileSuccess()),
		instance("basic-default-x7k2p-bbbbb", "basic", "", "", xpv2.Creating(), xpv2.ReconcileError(errors.New("cannot create instance: quota exceeded"))),
		// Another claim's cluster and machine stay out of this tree.
		claim("other", nil), cluster("other", "other"),
		machine("other-cp-zzzzz", "other", map[string]string{clusterv1.MachineControlPlaneLabel: ""}, "Running", "other-cp-zzzzz"),
	}

	cases := map[string]struct {
		reason string
		objs   []client.Object
		claim  string
		want   *node
	}{
		"Whole": {
			reason: "A Ready claim shows its status; its Cluster, control plane and pool nest below it with their own machines, each with its Instance and any cloud error.",
			objs:   objs,
			claim:  "basic",
			want: &node{Kind: "ClusterClaim", Name: "basic", State: "Ready", Created: created,
				Detail: "v1.35.4, control plane 1/1, workers 1/1, 127.0.0.1:20000",
				Children: []*node{{Kind: "Cluster", Name: "basic", State: "Available", Detail: "127.0.0.1:20000", Created: created,
					Children: []*node{
						{Kind: "ControlPlane", Name: "basic-cp", State: "Available", Detail: "1/1 ready, v1.35.4", Created: created,
							Children: []*node{{Kind: "Machine", Name: "basic-cp-abcde", State: "Running", Detail: "v1.35.4, node basic-cp-abcde", Created: created,
								Children: []*node{{Kind: "Instance", Name: "basic-cp-abcde", State: "Running", Detail: "10.0.0.2", Created: created}}}}},
						{Kind: "Pool", Name: "default", State: "ScalingUp", Detail: "1 available replica, at least 2 required", Created: created,
							Children: []*node{
								{Kind: "Machine", Name: "basic-default-x7k2p-aaaaa", State: "Running", Detail: "v1.35.4, node basic-default-x7k2p-aaaaa", Created: created},
								{Kind: "Machine", Name: "basic-default-x7k2p-bbbbb", State: "Provisioning", Detail: "v1.35.4", Created: created,
									Children: []*node{{Kind: "Instance", Name: "basic-default-x7k2p-bbbbb", State: "Creating", Detail: "cannot create instance: quota exceeded", Created: created}}},
							}},
					}}},
			},
		},
		"NotComposed": {
			reason: "A claim the function refused says why, from its Synced condition, and has nothing below it.",
			objs: []client.Object{claim("bad", map[string]any{"conditions": []any{
				condition("Synced", "False", "ReconcileError", "cannot compose resources: spec.workers[0].size: unknown size \"huge\""),
				condition("Ready", "False", "Creating", ""),
			}})},
			claim: "bad",
			want: &node{Kind: "ClusterClaim", Name: "bad", State: "ReconcileError", Created: created,
				Detail: "cannot compose resources: spec.workers[0].size: unknown size \"huge\""},
		},
		"ControlPlaneNotYetCreated": {
			reason: "A Cluster whose control plane is not there yet shows it Pending; a claim with no conditions yet is Pending too.",
			objs:   []client.Object{claim("new", nil), cluster("new", "new")},
			claim:  "new",
			want: &node{Kind: "ClusterClaim", Name: "new", State: "Pending", Detail: "v1.35.4", Created: created,
				Children: []*node{{Kind: "Cluster", Name: "new", State: "Available", Detail: "127.0.0.1:20000", Created: created,
					Children: []*node{{Kind: "KubeadmControlPlane", Name: "new-cp", State: "Pending", Detail: "not created yet"}}}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tree(context.Background(), fakeClient(t, tc.objs...), "default", tc.claim)
			if err != nil {
				t.Fatalf("%s\ntree: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ntree: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTreeNoClaim(t *testing.T) {
	_, err := tree(context.Background(), fakeClient(t), "default", "missing")
	want := `cannot get ClusterClaim default/missing: clusterclaims.platform.capstan.dev "missing" not found`
	if err == nil || err.Error() != want {
		t.Errorf("tree of a missing claim: got error %v, want %q", err, want)
	}
}

func TestRender(t *testing.T) {
	root := &node{Kind: "ClusterClaim", Name: "basic", State: "Ready", Detail: "v1.35.4", Created: created,
		Children: []*node{{Kind: "Cluster", Name: "basic", State: "Available", Created: created.Add(time.Minute),
			Children: []*node{
				{Kind: "ControlPlane", Name: "basic-cp", State: "Available", Detail: "1/1 ready", Created: created,
					Children: []*node{{Kind: "Machine", Name: "basic-cp-a", State: "Running", Created: created}}},
				{Kind: "Pool", Name: "default", State: "ScalingUp", Detail: "a very\nlong   message", Created: created,
					Children: []*node{{Kind: "Machine", Name: "basic-md-b", State: "Pending"}}},
			}}},
	}
	cases := map[string]struct {
		reason string
		now    time.Time
		want   string
	}{
		"WithAges": {
			reason: "Each child hangs under its parent; ages are relative to now; details keep to one line.",
			now:    created.Add(3 * time.Minute),
			want: `NAME                          STATE       AGE   DETAIL
ClusterClaim/basic            Ready       3m    v1.35.4
└─ Cluster/basic              Available   2m
   ├─ ControlPlane/basic-cp   Available   3m    1/1 ready
   │  └─ Machine/basic-cp-a   Running     3m
   └─ Pool/default            ScalingUp   3m    a very long message
      └─ Machine/basic-md-b   Pending
`,
		},
		"WithoutAges": {
			reason: "A zero now leaves the ages out, which is how a watch tells a real change from time passing.",
			want: `NAME                          STATE       AGE   DETAIL
ClusterClaim/basic            Ready             v1.35.4
└─ Cluster/basic              Available
   ├─ ControlPlane/basic-cp   Available         1/1 ready
   │  └─ Machine/basic-cp-a   Running
   └─ Pool/default            ScalingUp         a very long message
      └─ Machine/basic-md-b   Pending
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b, root, tc.now); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("%s\nrender: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestVersions(t *testing.T) {
	cases := map[string]struct {
		reason  string
		vs      []clusterv1.StatusVersion
		desired string
		want    string
	}{
		"NoneReported": {reason: "Before machines report, the desired version stands.", desired: "v1.35.5", want: "v1.35.5"},
		"One":          {reason: "Machines all at one version show it alone.", vs: []clusterv1.StatusVersion{{Version: "v1.35.4", Replicas: 3}}, desired: "v1.35.5", want: "v1.35.4"},
		"Rolling": {
			reason:  "During a rollout each version shows with its machine count.",
			vs:      []clusterv1.StatusVersion{{Version: "v1.35.4", Replicas: 2}, {Version: "v1.35.5", Replicas: 1}},
			desired: "v1.35.5",
			want:    "2×v1.35.4 + 1×v1.35.5",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := versions(tc.vs, tc.desired); got != tc.want {
				t.Errorf("%s\nversions: got %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"Short": {
			reason: "A short message is only folded onto one line.",
			in:     "1 available replica,\n  at least 2 required",
			want:   "1 available replica, at least 2 required",
		},
		"Long": {
			reason: "A long message keeps its start and its cause at the end.",
			in: "cannot compose resources: cannot get existing composed resources: cannot get composed resource: " +
				`no matches for kind "KubeadmConfigTemplate" in version "bootstrap.cluster.x-k8s.io/v1beta2"`,
			want: "cannot compose resources: cannot get exi … " +
				`urce: no matches for kind "KubeadmConfigTemplate" in version "bootstrap.cluster.x-k8s.io/v1beta2"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := oneLine(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\noneLine: -want, +got:\n%s", tc.reason, diff)
			}
			if n := len([]rune(got)); n > maxDetail {
				t.Errorf("%s\noneLine: %d characters, want at most %d", tc.reason, n, maxDetail)
			}
		})
	}
}

func TestWatcherRedraw(t *testing.T) {
	var b bytes.Buffer
	w := &watcher{out: &b, tty: true, width: 30}
	root := &node{Kind: "ClusterClaim", Name: "basic", State: "Creating", Detail: "a detail far wider than the terminal"}
	w.show(root, nil, time.Time{})
	first := b.Len()
	w.show(root, nil, time.Time{})
	// The second drawing moves up over the first one's two lines, clipped so none wrapped.
	want := fmt.Sprintf(redraw, 2) + "NAME                 STATE    \nClusterClaim/basic   Creating \n"
	if diff := cmp.Diff(want, b.String()[first:]); diff != "" {
		t.Errorf("watcher redraw: -want, +got:\n%s", diff)
	}
}

func TestWatcherShow(t *testing.T) {
	var b bytes.Buffer
	w := &watcher{out: &b}
	root := &node{Kind: "ClusterClaim", Name: "basic", State: "Creating", Created: created}
	w.show(root, nil, created.Add(time.Second))
	w.show(root, nil, created.Add(2*time.Second)) // only the age changed: nothing new is printed.
	first := b.String()
	root.State = "Ready"
	w.show(root, nil, created.Add(3*time.Second))
	if got := b.String()[len(first):]; !bytes.Contains([]byte(got), []byte("Ready")) {
		t.Errorf("watcher: a changed state was not printed again; got %q after the first tree", got)
	}
	if n := bytes.Count(b.Bytes(), []byte("NAME")); n != 2 {
		t.Errorf("watcher: printed the tree %d times, want 2 (once per real change)", n)
	}
}

func TestWorkloadKubeconfig(t *testing.T) {
	secret := func(name string, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: objMeta(name, nil), Data: data}
	}
	cases := map[string]struct {
		reason  string
		objs    []client.Object
		want    string
		wantErr string
	}{
		"FromStatus": {
			reason: "The Secret the claim's status names is read.",
			objs: []client.Object{
				claim("basic", map[string]any{"kubeconfigSecretName": "basic-access"}),
				secret("basic-access", map[string][]byte{"value": []byte("kubeconfig-from-status")}),
			},
			want: "kubeconfig-from-status",
		},
		"FromCluster": {
			reason: "Before the claim reports a Secret, Cluster API's <cluster>-kubeconfig of its Cluster is read.",
			objs: []client.Object{
				claim("basic", nil), cluster("basic-8xq2z", "basic"),
				secret("basic-8xq2z-kubeconfig", map[string][]byte{"value": []byte("kubeconfig-from-capi")}),
			},
			want: "kubeconfig-from-capi",
		},
		"NotYet": {
			reason:  "A claim with neither says to wait, and how to watch it.",
			objs:    []client.Object{claim("basic", nil)},
			wantErr: "ClusterClaim default/basic has no workload kubeconfig yet: see 'capstan status basic -n default'",
		},
		"NoKey": {
			reason: "A Secret without the kubeconfig key is reported, naming the key.",
			objs: []client.Object{
				claim("basic", map[string]any{"kubeconfigSecretName": "basic-access"}),
				secret("basic-access", map[string][]byte{"other": []byte("x")}),
			},
			wantErr: `Secret default/basic-access has no "value" key`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := workloadKubeconfig(context.Background(), fakeClient(t, tc.objs...), "default", "basic")
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Fatalf("%s\nworkloadKubeconfig: got error %q, want %q", tc.reason, gotErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("%s\nworkloadKubeconfig: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
