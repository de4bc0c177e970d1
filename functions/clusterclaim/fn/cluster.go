/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"strconv"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// The cluster autoscaler's Cluster API node group bounds.
const (
	annotationAutoscalerMin = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
	annotationAutoscalerMax = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
)

// clusterObject returns the Cluster of the plan: a managed topology of the plan's class. It
// never sets what Cluster API's controllers own under a topology (infrastructureRef,
// controlPlaneRef, controlPlaneEndpoint), nor the replicas of autoscaled pools, which the
// autoscaler owns.
func clusterObject(p *plan) *clusterv1.Cluster {
	c := &clusterv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: p.namespace},
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:          clusterv1.NetworkRanges{CIDRBlocks: []string{p.podCIDR}},
				Services:      clusterv1.NetworkRanges{CIDRBlocks: []string{p.serviceCIDR}},
				ServiceDomain: p.serviceDomain,
			},
			Topology: clusterv1.Topology{
				ClassRef: clusterv1.ClusterClassRef{Name: p.name, Namespace: p.namespace},
				Version:  p.version,
				ControlPlane: clusterv1.ControlPlaneTopology{
					Replicas:    ptr.To(p.controlPlaneReplicas),
					HealthCheck: clusterv1.ControlPlaneTopologyHealthCheck{Enabled: p.healthChecks},
				},
			},
		},
	}
	if p.paused {
		// Set only while paused: an explicit false would take the field from whoever else pauses.
		c.Spec.Paused = ptr.To(true)
	}
	if p.classRef != nil {
		c.Spec.Topology.ClassRef = clusterv1.ClusterClassRef{Name: p.classRef.Name, Namespace: firstOf(p.classRef.Namespace, p.namespace)}
		for _, v := range p.classRef.Variables {
			c.Spec.Topology.Variables = append(c.Spec.Topology.Variables, clusterv1.ClusterVariable{Name: v.Name, Value: extv1.JSON{Raw: v.Value.Raw}})
		}
	}
	for _, pl := range p.pools {
		md := clusterv1.MachineDeploymentTopology{
			Class:         pl.class,
			Name:          pl.name,
			FailureDomain: pl.failureDomain,
			Replicas:      pl.replicas,
			HealthCheck:   clusterv1.MachineDeploymentTopologyHealthCheck{Enabled: p.healthChecks},
			Metadata:      clusterv1.ObjectMeta{Labels: pl.labels},
		}
		if a := pl.autoscaling; a != nil {
			md.Metadata.Annotations = map[string]string{
				annotationAutoscalerMin: strconv.Itoa(int(a.Min)),
				annotationAutoscalerMax: strconv.Itoa(int(a.Max)),
			}
		}
		c.Spec.Topology.Workers.MachineDeployments = append(c.Spec.Topology.Workers.MachineDeployments, md)
	}
	return c
}
