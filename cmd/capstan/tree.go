/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
)

// compositeLabel is the label Crossplane sets on every resource it composes for an XR.
const compositeLabel = "crossplane.io/composite"

const (
	errGetClaim      = "cannot get ClusterClaim %s/%s"
	errListClusters  = "cannot list the Clusters of ClusterClaim %s/%s"
	errGetKCP        = "cannot get control plane %s/%s"
	errListMDs       = "cannot list the MachineDeployments of Cluster %s/%s"
	errListMachines  = "cannot list the Machines of Cluster %s/%s"
	errListInstances = "cannot list the Instances of Cluster %s/%s"
)

// node is one object in a ClusterClaim's tree.
type node struct {
	// Kind and Name identify the object; Name is namespace-free (all live in the claim's namespace).
	Kind, Name string

	// State is the object's condition or phase in a word: Ready, Available, Running, ...
	State string

	// Detail is what else matters about it at a glance: counts, version, endpoint, reason.
	Detail string

	// Created is its creation time, for the AGE column.
	Created time.Time

	Children []*node
}

// tree reads a ClusterClaim and what it became: claim → Cluster → control plane (with its machines)
// and worker pools (each with its machines).
func tree(ctx context.Context, c client.Reader, ns, name string) (*node, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return nil, errors.Wrapf(err, errGetClaim, ns, name)
	}
	root := claimNode(u)

	clusters := &clusterv1.ClusterList{}
	err := c.List(ctx, clusters, client.InNamespace(ns), client.MatchingLabels{compositeLabel: name})
	if meta.IsNoMatchError(err) {
		// Cluster API is not installed (yet): the claim's own conditions say what is wrong.
		return root, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, errListClusters, ns, name)
	}
	for i := range clusters.Items {
		cn, err := clusterTree(ctx, c, &clusters.Items[i])
		if err != nil {
			return nil, err
		}
		root.Children = append(root.Children, cn)
	}
	return root, nil
}

// clusterTree reads a Cluster's control plane, worker pools and machines.
func clusterTree(ctx context.Context, c client.Reader, cl *clusterv1.Cluster) (*node, error) {
	n := clusterNode(cl)
	machines := &clusterv1.MachineList{}
	if err := c.List(ctx, machines, client.InNamespace(cl.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cl.Name}); err != nil {
		return nil, errors.Wrapf(err, errListMachines, cl.Namespace, cl.Name)
	}
	sort.Slice(machines.Items, func(i, j int) bool { return machines.Items[i].Name < machines.Items[j].Name })
	instances := &computev1alpha1.InstanceList{}
	err := c.List(ctx, instances, client.InNamespace(cl.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cl.Name})
	if err != nil && !meta.IsNoMatchError(err) {
		return nil, errors.Wrapf(err, errListInstances, cl.Namespace, cl.Name)
	}
	machineNode := func(m *clusterv1.Machine) *node {
		n := machineNode(m)
		for i := range instances.Items {
			// The Capstan infrastructure provider names each Instance after its CapstanMachine.
			if in := &instances.Items[i]; in.Name == m.Spec.InfrastructureRef.Name {
				n.Children = append(n.Children, instanceNode(in))
			}
		}
		return n
	}

	if ref := cl.Spec.ControlPlaneRef; ref.Name != "" {
		kcp := &controlplanev1.KubeadmControlPlane{}
		err := c.Get(ctx, client.ObjectKey{Namespace: cl.Namespace, Name: ref.Name}, kcp)
		switch {
		case apierrors.IsNotFound(err):
			n.Children = append(n.Children, &node{Kind: ref.Kind, Name: ref.Name, State: "Pending", Detail: "not created yet"})
		case err != nil:
			return nil, errors.Wrapf(err, errGetKCP, cl.Namespace, ref.Name)
		default:
			cp := controlPlaneNode(kcp)
			for i := range machines.Items {
				if _, ok := machines.Items[i].Labels[clusterv1.MachineControlPlaneLabel]; ok {
					cp.Children = append(cp.Children, machineNode(&machines.Items[i]))
				}
			}
			n.Children = append(n.Children, cp)
		}
	}

	mds := &clusterv1.MachineDeploymentList{}
	if err := c.List(ctx, mds, client.InNamespace(cl.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cl.Name}); err != nil {
		return nil, errors.Wrapf(err, errListMDs, cl.Namespace, cl.Name)
	}
	sort.Slice(mds.Items, func(i, j int) bool { return mds.Items[i].Name < mds.Items[j].Name })
	for i := range mds.Items {
		md := &mds.Items[i]
		pn := poolNode(md)
		for j := range machines.Items {
			if machines.Items[j].Labels[clusterv1.MachineDeploymentNameLabel] == md.Name {
				pn.Children = append(pn.Children, machineNode(&machines.Items[j]))
			}
		}
		n.Children = append(n.Children, pn)
	}
	return n, nil
}

// claimNode summarises a ClusterClaim: Crossplane's Ready condition, then what its status reports.
func claimNode(u *unstructured.Unstructured) *node {
	claim := &platformv1alpha1.ClusterClaim{}
	// Unknown or missing status fields leave their zero values; the tree shows what there is.
	_ = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, claim)
	n := &node{Kind: "ClusterClaim", Name: u.GetName(), Created: u.GetCreationTimestamp().Time}
	conds := unstructuredConditions(u)
	n.State, n.Detail = conditionState(conds, "Ready", "Ready")
	// A claim that cannot be composed says so in Synced; that explains more than Ready does.
	if s := meta.FindStatusCondition(conds, "Synced"); s != nil && s.Status == metav1.ConditionFalse {
		n.State, n.Detail = s.Reason, s.Message
	}
	if n.State == "Ready" || n.Detail == "" {
		n.Detail = joinNonEmpty(
			versionOf(claim.Status.Version, claim.Spec.Version),
			countOf("control plane", claim.Status.ControlPlane.Summary),
			countOf("workers", claim.Status.Workers.Summary),
			claim.Status.ControlPlaneEndpoint,
		)
	}
	return n
}

func clusterNode(cl *clusterv1.Cluster) *node {
	n := &node{Kind: "Cluster", Name: cl.Name, Created: cl.CreationTimestamp.Time}
	n.State, n.Detail = conditionState(cl.Status.Conditions, clusterv1.ClusterAvailableCondition, "Available")
	if n.State != "Available" && cl.Status.Phase != "" {
		n.State = cl.Status.Phase
	}
	if ep := cl.Spec.ControlPlaneEndpoint; ep.Host != "" && (n.State == "Available" || n.Detail == "") {
		n.Detail = fmt.Sprintf("%s:%d", ep.Host, ep.Port)
	}
	return n
}

func controlPlaneNode(kcp *controlplanev1.KubeadmControlPlane) *node {
	n := &node{Kind: "ControlPlane", Name: kcp.Name, Created: kcp.CreationTimestamp.Time}
	n.State, n.Detail = conditionState(kcp.Status.Conditions, controlplanev1.KubeadmControlPlaneAvailableCondition, "Available")
	if n.State == "Available" || n.Detail == "" {
		n.Detail = joinNonEmpty(replicas(kcp.Status.ReadyReplicas, kcp.Spec.Replicas), versions(kcp.Status.Versions, kcp.Spec.Version))
	}
	return n
}

func poolNode(md *clusterv1.MachineDeployment) *node {
	name := md.Name
	if pool := md.Labels[clusterv1.ClusterTopologyMachineDeploymentNameLabel]; pool != "" {
		name = pool
	}
	n := &node{Kind: "Pool", Name: name, Created: md.CreationTimestamp.Time}
	n.State, n.Detail = conditionState(md.Status.Conditions, clusterv1.MachineDeploymentAvailableCondition, "Available")
	if n.State != "Available" && md.Status.Phase != "" {
		n.State = md.Status.Phase
	}
	if n.State == "Available" || n.Detail == "" {
		n.Detail = joinNonEmpty(replicas(md.Status.ReadyReplicas, md.Spec.Replicas), versions(md.Status.Versions, md.Spec.Template.Spec.Version))
	}
	return n
}

func machineNode(m *clusterv1.Machine) *node {
	n := &node{Kind: "Machine", Name: m.Name, State: m.Status.Phase, Created: m.CreationTimestamp.Time}
	if n.State == "" {
		n.State = "Pending"
	}
	node := ""
	if m.Status.NodeRef.Name != "" {
		node = "node " + m.Status.NodeRef.Name
	}
	n.Detail = joinNonEmpty(versionOf("", m.Spec.Version), node)
	if m.DeletionTimestamp != nil {
		n.State = "Deleting"
	}
	return n
}

func instanceNode(in *computev1alpha1.Instance) *node {
	n := &node{Kind: "Instance", Name: in.Name, State: in.Status.AtProvider.State, Created: in.CreationTimestamp.Time}
	if n.State == "" {
		n.State = "Pending"
		if r := in.GetCondition(xpv2.TypeReady); r.Reason != "" {
			n.State = string(r.Reason)
		}
	}
	if s := in.GetCondition(xpv2.TypeSynced); s.Status == corev1.ConditionFalse {
		// A cloud error says why the instance does not progress.
		n.Detail = s.Message
		return n
	}
	var addr string
	if len(in.Status.AtProvider.Addresses) > 0 {
		addr = in.Status.AtProvider.Addresses[0].Address
	}
	n.Detail = joinNonEmpty(in.Status.AtProvider.Message, addr)
	return n
}

// conditionState is ok when condition typ is True, else the condition's reason and message, or
// "Pending" while it has none.
func conditionState(conds []metav1.Condition, typ, ok string) (string, string) {
	c := meta.FindStatusCondition(conds, typ)
	switch {
	case c == nil:
		return "Pending", ""
	case c.Status == metav1.ConditionTrue:
		return ok, ""
	case c.Reason != "":
		return c.Reason, c.Message
	default:
		return "Not" + ok, c.Message
	}
}

// unstructuredConditions reads status.conditions of an object as metav1 conditions.
func unstructuredConditions(u *unstructured.Unstructured) []metav1.Condition {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	conds := make([]metav1.Condition, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		c := metav1.Condition{}
		c.Type, _ = m["type"].(string)
		s, _ := m["status"].(string)
		c.Status = metav1.ConditionStatus(s)
		c.Reason, _ = m["reason"].(string)
		c.Message, _ = m["message"].(string)
		conds = append(conds, c)
	}
	return conds
}

// replicas is "ready/desired ready".
func replicas(ready, desired *int32) string {
	if desired == nil {
		return ""
	}
	r := int32(0)
	if ready != nil {
		r = *ready
	}
	return fmt.Sprintf("%d/%d ready", r, *desired)
}

// versions is the one version every machine runs, the versions in a rollout with their machine
// counts, or the desired version before any machine reports one.
func versions(vs []clusterv1.StatusVersion, desired string) string {
	switch len(vs) {
	case 0:
		return desired
	case 1:
		return vs[0].Version
	}
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%d×%s", v.Replicas, v.Version))
	}
	return strings.Join(parts, " + ")
}

// versionOf is the observed version, else the desired one.
func versionOf(observed, desired string) string {
	if observed != "" {
		return observed
	}
	return desired
}

// countOf labels a ready/desired summary.
func countOf(what, summary string) string {
	if summary == "" {
		return ""
	}
	return what + " " + summary
}

// joinNonEmpty joins the non-empty parts with ", ".
func joinNonEmpty(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += p
	}
	return out
}
