/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"fmt"
	"net"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/capstan-dev/capstan/apis/platform/v1alpha1"
)

// Condition types the function sets on the claim, mirroring the Cluster's. Crossplane owns Ready
// and Synced, so the Cluster's Available becomes ClusterAvailable.
const (
	conditionClusterAvailable = "ClusterAvailable"
	reasonClusterNotFound     = "ClusterNotFound"
	reasonClassNotReconciled  = "ClusterClassNotReconciled"
	reasonNotReported         = "NotReported"
	phasePending              = "Pending"
)

// mirrored maps the Cluster's condition types to the claim's, in the order they are reported.
var mirrored = []struct{ from, to string }{
	{clusterv1.ClusterAvailableCondition, conditionClusterAvailable},
	{clusterv1.ClusterInfrastructureReadyCondition, clusterv1.ClusterInfrastructureReadyCondition},
	{clusterv1.ClusterControlPlaneAvailableCondition, clusterv1.ClusterControlPlaneAvailableCondition},
	{clusterv1.ClusterWorkersAvailableCondition, clusterv1.ClusterWorkersAvailableCondition},
	{clusterv1.ClusterRemoteConnectionProbeCondition, clusterv1.ClusterRemoteConnectionProbeCondition},
	{clusterv1.ClusterTopologyReconciledCondition, clusterv1.ClusterTopologyReconciledCondition},
}

// A condition to set on the claim.
type condition struct {
	Type    string
	Status  metav1.ConditionStatus
	Reason  string
	Message string
}

// An observation is what the claim reports about its Cluster.
type observation struct {
	status     v1alpha1.ClusterClaimStatus
	available  bool
	conditions []condition
}

// observe derives the claim's status from the observed Cluster, nil when it does not exist yet.
// The claim is available only when the Cluster reports Available=True.
func observe(p *plan, c *clusterv1.Cluster, withCluster bool) observation {
	o := observation{status: v1alpha1.ClusterClaimStatus{
		Phase:        phasePending,
		ControlPlane: replicas(p.controlPlaneReplicas, 0),
		Workers:      replicas(p.desiredWorkers(), 0),
	}}
	if c == nil {
		cond := condition{
			Type: conditionClusterAvailable, Status: metav1.ConditionUnknown, Reason: reasonClusterNotFound,
			Message: fmt.Sprintf("waiting for Cluster %s/%s to be created", p.namespace, p.name),
		}
		if !withCluster {
			cond.Reason = reasonClassNotReconciled
			cond.Message = fmt.Sprintf("waiting for Cluster API to reconcile ClusterClass %s/%s before the Cluster is composed", p.namespace, p.name)
		}
		o.conditions = []condition{cond}
		return o
	}

	if c.Status.Phase != "" {
		o.status.Phase = c.Status.Phase
	}
	if ep := c.Spec.ControlPlaneEndpoint; ep.Host != "" {
		o.status.ControlPlaneEndpoint = net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
	}
	if cp := c.Status.ControlPlane; cp != nil {
		o.status.ControlPlane = replicas(ptr.Deref(cp.DesiredReplicas, p.controlPlaneReplicas), ptr.Deref(cp.ReadyReplicas, 0))
		o.status.Version = oldest(cp.Versions)
	}
	if w := c.Status.Workers; w != nil {
		o.status.Workers = replicas(ptr.Deref(w.DesiredReplicas, p.desiredWorkers()), ptr.Deref(w.ReadyReplicas, 0))
	}
	// The kubeconfig Secret exists once the control plane is initialized; name it only then so
	// that users can rely on it.
	if ptr.Deref(c.Status.Initialization.ControlPlaneInitialized, false) {
		o.status.KubeconfigSecretName = kubeconfigSecretName(c.GetName())
	}

	for _, m := range mirrored {
		cond := condition{Type: m.to, Status: metav1.ConditionUnknown, Reason: reasonNotReported,
			Message: fmt.Sprintf("the Cluster reports no %s condition yet", m.from)}
		for _, reported := range c.Status.Conditions {
			if reported.Type == m.from {
				cond.Status, cond.Reason, cond.Message = reported.Status, reported.Reason, reported.Message
			}
		}
		if m.from == clusterv1.ClusterAvailableCondition {
			o.available = cond.Status == metav1.ConditionTrue
		}
		o.conditions = append(o.conditions, cond)
	}
	return o
}

func replicas(desired, ready int32) v1alpha1.ReplicaStatus {
	return v1alpha1.ReplicaStatus{Desired: desired, Ready: ready, Summary: fmt.Sprintf("%d/%d", ready, desired)}
}

// desiredWorkers is the number of worker machines asked for; autoscaled pools count their
// minimum.
func (p *plan) desiredWorkers() int32 {
	var n int32
	for _, pl := range p.pools {
		switch {
		case pl.replicas != nil:
			n += *pl.replicas
		case pl.autoscaling != nil:
			n += pl.autoscaling.Min
		}
	}
	return n
}

// oldest returns the oldest Kubernetes version machines run: during an upgrade the cluster is
// only as new as its oldest control-plane machine.
func oldest(vs []clusterv1.StatusVersion) string {
	var out string
	var min *version.Version
	for _, v := range vs {
		pv, err := version.ParseGeneric(v.Version)
		if err != nil {
			continue
		}
		if min == nil || pv.LessThan(min) {
			min, out = pv, v.Version
		}
	}
	return out
}
