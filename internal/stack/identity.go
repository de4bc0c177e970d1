/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/capstan-dev/capstan/cluster/rbac"
	"github.com/capstan-dev/capstan/internal/xpcore"
)

// providerTokenLifetime outlives any local run: the provider does not renew its token.
const providerTokenLifetime = 365 * 24 * time.Hour

const providerKubeconfigFile = "provider.kubeconfig"

const (
	errRBAC           = "cannot read the provider's RBAC (cluster/rbac)"
	errApplyRBAC      = "cannot apply %s %q"
	errServiceAccount = "cannot create the provider's ServiceAccount"
	errToken          = "cannot issue a token for the provider's ServiceAccount"
	errKubeconfig     = "cannot write the provider's kubeconfig"
)

// applyRBAC applies what a platform team applies beside the packages (cluster/rbac): the
// ClusterRoles, the DeploymentRuntimeConfig naming the provider's ServiceAccount, and the
// bindings to that ServiceAccount.
func (s *Stack) applyRBAC(ctx context.Context) error {
	roles, err := rbac.ClusterRoles()
	if err != nil {
		return errors.Wrap(err, errRBAC)
	}
	binding, err := rbac.Binding()
	if err != nil {
		return errors.Wrap(err, errRBAC)
	}
	for _, r := range roles {
		if err := applyTyped(ctx, s.Client, r, rbacv1.SchemeGroupVersion.WithKind("ClusterRole")); err != nil {
			return err
		}
	}
	for _, o := range binding {
		if err := apply(ctx, s.Client, o); err != nil {
			return errors.Wrapf(err, errApplyRBAC, o.GetKind(), o.GetName())
		}
	}
	return nil
}

// providerKubeconfig gives the provider the identity Crossplane gives the pod of its active
// revision rev, and writes a kubeconfig for that identity.
//
// NOTE: the provider runs as its own ServiceAccount rather than as the admin, for fidelity to a
// real install: it holds only what Crossplane's RBAC manager grants a provider (mirrored by
// crossplaneSystemRole) and what cluster/rbac has a platform team apply. A permission missing
// there fails the e2e tests here, not a platform team's install.
func (s *Stack) providerKubeconfig(ctx context.Context, dir string, rev pkgv1.PackageRevision) (string, error) {
	name, err := rbac.ServiceAccount()
	if err != nil {
		return "", errors.Wrap(err, errRBAC)
	}
	// What Crossplane does: its Deployment runtime creates the ServiceAccount in its own
	// namespace, and its RBAC manager binds it to the system ClusterRole it renders for the
	// revision from the package's CRDs.
	var crds []string
	for _, ref := range rev.GetObjects() {
		if ref.Kind == "CustomResourceDefinition" || ref.Kind == "ManagedResourceDefinition" {
			crds = append(crds, ref.Name)
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: xpcore.Namespace, Name: name}}
	if err := s.Client.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", errors.Wrap(err, errServiceAccount)
	}
	if role := crossplaneSystemRole(rev.GetName(), crds); role != nil {
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role.GetName()},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.GetName()},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: sa.Namespace, Name: sa.Name}},
		}
		if err := applyTyped(ctx, s.Client, role, rbacv1.SchemeGroupVersion.WithKind("ClusterRole")); err != nil {
			return "", err
		}
		if err := applyTyped(ctx, s.Client, crb, rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding")); err != nil {
			return "", err
		}
	}

	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: ptr.To(int64(providerTokenLifetime.Seconds())),
	}}
	if err := s.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		return "", errors.Wrap(err, errToken)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["plane"] = &clientcmdapi.Cluster{Server: s.plane.Config.Host, CertificateAuthorityData: s.plane.Config.CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "plane", AuthInfo: name, Namespace: xpcore.Namespace}
	cfg.CurrentContext = name
	path := filepath.Join(dir, providerKubeconfigFile)
	return path, errors.Wrap(clientcmd.WriteToFile(*cfg, path), errKubeconfig)
}

// crossplaneSystemRole is the ClusterRole Crossplane v2.4's RBAC manager binds a provider's
// ServiceAccount to (RenderClusterRoles' system role in its internal/controller/rbac/provider/
// roles): all but delete on the package's CRDs and their status, update on their finalizers,
// everything on Secrets, ConfigMaps, Events and Leases, and, as the package declares the
// safe-start capability (package/provider/crossplane.yaml), read access to CRDs. Like Crossplane,
// it renders no role, nil, for a package without CRDs.
func crossplaneSystemRole(revision string, crds []string) *rbacv1.ClusterRole {
	type resource struct{ group, plural string }
	rs := make([]resource, 0, len(crds))
	for _, n := range slices.Compact(slices.Sorted(slices.Values(crds))) {
		if plural, group, ok := strings.Cut(n, "."); ok {
			rs = append(rs, resource{group: group, plural: plural})
		}
	}
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].plural+rs[i].group < rs[j].plural+rs[j].group })
	var groups []string
	byGroup := map[string][]string{}
	for _, r := range rs {
		if _, ok := byGroup[r.group]; !ok {
			groups = append(groups, r.group)
		}
		byGroup[r.group] = append(byGroup[r.group], r.plural, r.plural+"/status")
	}
	rules := make([]rbacv1.PolicyRule, 0, len(groups)+3)
	for _, g := range groups {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: []string{g},
			Resources: byGroup[g],
			Verbs:     []string{"get", "list", "watch", "update", "patch", "create"},
		})
	}
	rules = append(rules,
		rbacv1.PolicyRule{APIGroups: groups, Resources: []string{"*/finalizers"}, Verbs: []string{"update"}},
		rbacv1.PolicyRule{
			APIGroups: []string{"", "coordination.k8s.io"},
			Resources: []string{"secrets", "configmaps", "events", "leases"},
			Verbs:     []string{rbacv1.VerbAll},
		},
		rbacv1.PolicyRule{
			APIGroups: []string{"apiextensions.k8s.io"},
			Resources: []string{"customresourcedefinitions"},
			Verbs:     []string{"get", "list", "watch"},
		},
	)
	return &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{
			Name:   "crossplane:provider:" + revision + ":system",
			Labels: map[string]string{"rbac.crossplane.io/system": revision},
		},
		Rules: rules,
	}
}

// applyTyped server-side applies a typed object as kind gvk.
func applyTyped(ctx context.Context, c client.Client, obj client.Object, gvk schema.GroupVersionKind) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return errors.Wrapf(err, errApplyRBAC, gvk.Kind, obj.GetName())
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	// NOTE: a typed object converts with a null creationTimestamp, which is not ours to apply.
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return errors.Wrapf(apply(ctx, c, u), errApplyRBAC, gvk.Kind, obj.GetName())
}
