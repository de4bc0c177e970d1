/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package crds

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestEmbedded(t *testing.T) {
	type want struct {
		names []string
		// labels counts the CRDs carrying each key=value label.
		labels map[string]int
	}
	cases := map[string]struct {
		reason string
		read   func() ([]*extv1.CustomResourceDefinition, error)
		want   want
	}{
		"Infrastructure": {
			reason: "The four Capstan infrastructure CRDs carry the v1beta2 contract label from their marker.",
			read:   Infrastructure,
			want: want{
				names: []string{
					"capstanclusters.infrastructure.cluster.x-k8s.io",
					"capstanclustertemplates.infrastructure.cluster.x-k8s.io",
					"capstanmachines.infrastructure.cluster.x-k8s.io",
					"capstanmachinetemplates.infrastructure.cluster.x-k8s.io",
				},
				labels: map[string]int{"cluster.x-k8s.io/v1beta2=v1alpha1": 4},
			},
		},
		"ClusterAPI": {
			reason: "Cluster API's core, kubeadm control plane and kubeadm bootstrap CRDs are embedded as upstream generates them, without labels.",
			read:   ClusterAPI,
			want: want{
				names: []string{
					"clusterresourcesetbindings.addons.cluster.x-k8s.io",
					"clusterresourcesets.addons.cluster.x-k8s.io",
					"kubeadmconfigs.bootstrap.cluster.x-k8s.io",
					"kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io",
					"clusterclasses.cluster.x-k8s.io",
					"clusters.cluster.x-k8s.io",
					"machinedeployments.cluster.x-k8s.io",
					"machinedrainrules.cluster.x-k8s.io",
					"machinehealthchecks.cluster.x-k8s.io",
					"machinepools.cluster.x-k8s.io",
					"machines.cluster.x-k8s.io",
					"machinesets.cluster.x-k8s.io",
					"kubeadmcontrolplanes.controlplane.cluster.x-k8s.io",
					"kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io",
					"ipaddressclaims.ipam.cluster.x-k8s.io",
					"ipaddresses.ipam.cluster.x-k8s.io",
					"extensionconfigs.runtime.cluster.x-k8s.io",
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crds, err := tc.read()
			if err != nil {
				t.Fatalf("\n%s\nread(): %v", tc.reason, err)
			}
			got := want{}
			for _, c := range crds {
				got.names = append(got.names, c.GetName())
				for k, v := range c.GetLabels() {
					if got.labels == nil {
						got.labels = map[string]int{}
					}
					got.labels[k+"="+v]++
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nread(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
