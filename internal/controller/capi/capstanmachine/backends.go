/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capstanmachine

import (
	"context"
	"slices"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/capi/capstancluster"
)

const (
	errListInstances = "cannot list the cluster's control-plane Instances"
	errGetLB         = "cannot get the cluster's LoadBalancer"
	errUpdateLB      = "cannot update the backends of the cluster's LoadBalancer"
)

// syncBackends makes the cluster's LoadBalancer send traffic to exactly the control-plane
// Instances of the cluster that exist in the cloud (they have an external name), leaving out
// exclude (a machine being deleted). Every control-plane CapstanMachine computes the same list,
// so concurrent writers agree; a write that lost a race fails on its resource version and is
// retried. It returns the backend IDs the LoadBalancer asks for.
func syncBackends(ctx context.Context, c client.Client, cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster, exclude string) ([]string, error) {
	l := &computev1alpha1.InstanceList{}
	if err := c.List(ctx, l, client.InNamespace(capstanCluster.GetNamespace()), client.MatchingLabels{
		clusterv1.ClusterNameLabel: cl.GetName(), clusterv1.MachineControlPlaneLabel: "",
	}); err != nil {
		return nil, errors.Wrap(err, errListInstances)
	}
	ids := make([]string, 0, len(l.Items))
	for i := range l.Items {
		in := &l.Items[i]
		id := meta.GetExternalName(in)
		if in.GetName() == exclude || !in.GetDeletionTimestamp().IsZero() || id == "" {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)

	lb := &networkv1alpha1.LoadBalancer{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: capstanCluster.GetNamespace(), Name: capstancluster.LoadBalancerName(capstanCluster)}, lb); err != nil {
		return nil, errors.Wrap(err, errGetLB)
	}
	if slices.Equal(lb.Spec.ForProvider.Backends.InstanceIDs, ids) {
		return ids, nil
	}
	lb.Spec.ForProvider.Backends.InstanceIDs = ids
	return ids, errors.Wrap(c.Update(ctx, lb), errUpdateLB)
}
