/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestClusterRoles(t *testing.T) {
	roles, err := ClusterRoles()
	if err != nil {
		t.Fatalf("ClusterRoles(): %v", err)
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.GetName())
		if len(r.Rules) == 0 {
			t.Errorf("ClusterRole %s has no rules", r.GetName())
		}
	}
	want := []string{
		"capstan-manager-role",
		"capi-manager-role",
		"capi-kubeadm-bootstrap-manager-role",
		"capi-kubeadm-control-plane-manager-role",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("ClusterRoles(): Capstan's generated role, then Cluster API's three under the names of its own install: -want, +got:\n%s", diff)
	}
}

func TestBinding(t *testing.T) {
	sa, err := ServiceAccount()
	if err != nil {
		t.Fatalf("ServiceAccount(): %v", err)
	}
	if sa != "provider-capstan" {
		t.Errorf("ServiceAccount(): got %q, want %q", sa, "provider-capstan")
	}
	roles, err := ClusterRoles()
	if err != nil {
		t.Fatalf("ClusterRoles(): %v", err)
	}
	objs, err := Binding()
	if err != nil {
		t.Fatalf("Binding(): %v", err)
	}

	// Every ClusterRole is bound once, to the ServiceAccount the DeploymentRuntimeConfig names,
	// in Crossplane's namespace, and nothing else is bound.
	want := map[string][]rbacv1.Subject{}
	for _, r := range roles {
		want[r.GetName()] = []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: "crossplane-system"}}
	}
	got := map[string][]rbacv1.Subject{}
	for _, o := range objs {
		if o.GetKind() != "ClusterRoleBinding" {
			continue
		}
		b := &rbacv1.ClusterRoleBinding{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, b, true); err != nil {
			t.Fatalf("ClusterRoleBinding %s: %v", o.GetName(), err)
		}
		if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.APIGroup != rbacv1.GroupName {
			t.Errorf("ClusterRoleBinding %s: roleRef %+v is not a ClusterRole", b.GetName(), b.RoleRef)
		}
		if _, dup := got[b.RoleRef.Name]; dup {
			t.Errorf("ClusterRole %s is bound twice", b.RoleRef.Name)
		}
		got[b.RoleRef.Name] = b.Subjects
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: ClusterRole -> subjects: -want, +got:\n%s", bindingFile, diff)
	}
}
