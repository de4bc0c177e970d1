/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestToTable(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	created := metav1.NewTime(now.Add(-90 * time.Second))
	cp := corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "cp-0", CreationTimestamp: created, Labels: map[string]string{labelControlPlane: ""}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.35.4", ContainerRuntimeVersion: "containerd://2.1.0"},
		},
	}
	worker := corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "w-0", CreationTimestamp: created},
		Spec:       corev1.NodeSpec{Unschedulable: true},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.35.4"}},
	}
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "etcd-cp-0", Namespace: "kube-system", CreationTimestamp: created},
		Spec:       corev1.PodSpec{NodeName: "cp-0", Containers: []corev1.Container{{Name: "etcd"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Ready: true, RestartCount: 2}}},
	}
	nodes, _ := json.Marshal(corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: []corev1.Node{cp, worker}})
	onePod, _ := json.Marshal(pod)

	cases := map[string]struct {
		reason   string
		resource string
		body     []byte
		want     [][]any
	}{
		"NodeList": {
			reason:   "Nodes show status, roles, age and version as kubectl shows them from a real API server, and more with -o wide.",
			resource: "nodes",
			body:     nodes,
			want: [][]any{
				{"cp-0", "Ready", "control-plane", "90s", "v1.35.4", "10.0.0.1", "<none>", "<unknown>", "<unknown>", "containerd://2.1.0"},
				{"w-0", "NotReady,SchedulingDisabled", "<none>", "90s", "v1.35.4", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
			},
		},
		"OnePod": {
			reason:   "A single Pod is a table of one row.",
			resource: "pods",
			body:     onePod,
			want:     [][]any{{"etcd-cp-0", "1/1", "Running", int32(2), "90s", "<none>", "cp-0"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			table, err := toTable(tc.resource, tc.body, now)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]any
			for _, r := range table.Rows {
				got = append(got, r.Cells)
				if len(r.Cells) != len(table.ColumnDefinitions) {
					t.Errorf("%s\nrow %v has %d cells for %d columns", tc.reason, r.Cells, len(r.Cells), len(table.ColumnDefinitions))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ntoTable(...) cells: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestWantsTable(t *testing.T) {
	const table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
	cases := map[string]struct {
		path, accept string
		want         bool
	}{
		"NodeList":       {path: "/api/v1/nodes", accept: table, want: true},
		"OneNode":        {path: "/api/v1/nodes/cp-0", accept: table, want: true},
		"PodsOfAll":      {path: "/api/v1/pods", accept: table, want: true},
		"PodsOfOne":      {path: "/api/v1/namespaces/kube-system/pods", accept: table, want: true},
		"PlainJSON":      {path: "/api/v1/nodes", accept: "application/json"},
		"OtherResources": {path: "/api/v1/namespaces", accept: table},
		"Subresource":    {path: "/api/v1/namespaces/kube-system/pods/etcd/log", accept: table},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "https://lb"+tc.path, nil)
			r.Header.Set("Accept", tc.accept)
			if got := wantsTable(r); got != tc.want {
				t.Errorf("wantsTable(%s, %s) = %t, want %t", tc.path, tc.accept, got, tc.want)
			}
		})
	}
}
