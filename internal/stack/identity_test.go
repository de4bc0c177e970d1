/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCrossplaneSystemRole(t *testing.T) {
	system := []string{"get", "list", "watch", "update", "patch", "create"}
	extra := []rbacv1.PolicyRule{
		{APIGroups: []string{"", "coordination.k8s.io"}, Resources: []string{"secrets", "configmaps", "events", "leases"}, Verbs: []string{"*"}},
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"get", "list", "watch"}},
	}
	meta := metav1.ObjectMeta{Name: "crossplane:provider:p-1:system", Labels: map[string]string{"rbac.crossplane.io/system": "p-1"}}

	cases := map[string]struct {
		reason string
		crds   []string
		want   *rbacv1.ClusterRole
	}{
		"PackageCRDs": {
			reason: "As Crossplane renders it: resources sorted by plural then group, one rule per group in that order with each resource's status, then finalizers of every group, then the extras.",
			crds:   []string{"providerconfigs.capstan.dev", "loadbalancers.network.capstan.dev", "instances.compute.capstan.dev", "clusterproviderconfigs.capstan.dev"},
			want: &rbacv1.ClusterRole{ObjectMeta: meta, Rules: append([]rbacv1.PolicyRule{
				{APIGroups: []string{"capstan.dev"}, Resources: []string{"clusterproviderconfigs", "clusterproviderconfigs/status", "providerconfigs", "providerconfigs/status"}, Verbs: system},
				{APIGroups: []string{"compute.capstan.dev"}, Resources: []string{"instances", "instances/status"}, Verbs: system},
				{APIGroups: []string{"network.capstan.dev"}, Resources: []string{"loadbalancers", "loadbalancers/status"}, Verbs: system},
				{APIGroups: []string{"capstan.dev", "compute.capstan.dev", "network.capstan.dev"}, Resources: []string{"*/finalizers"}, Verbs: []string{"update"}},
			}, extra...)},
		},
		"NoCRDs": {
			reason: "Crossplane renders no role for a package without CRDs; a name that is not <plural>.<group> cannot be a CRD's.",
			crds:   []string{"instances"},
			want:   nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := crossplaneSystemRole("p-1", tc.crds)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncrossplaneSystemRole: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
