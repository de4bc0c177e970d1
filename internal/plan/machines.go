/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/external"
	kcppkg "sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg"
	kcpdesired "sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/desiredstate"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinedeployment/mdutil"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What happens to a machine.
const (
	Keep    = "keep"
	Replace = "replace"
	InPlace = "in-place"
	Create  = "create"
	Delete  = "delete"
)

// A Machine is what the change does to one machine, or to Count machines not yet named.
type Machine struct {
	// Step is the topology step that rolls it: 1 first.
	Step int `json:"step"`
	// Owner is the KubeadmControlPlane or MachineDeployment the machine belongs to.
	Owner string `json:"owner"`
	// Pool is the claim's worker pool, empty for the control plane.
	Pool   string `json:"pool,omitempty"`
	Name   string `json:"name,omitempty"`
	Count  int    `json:"count,omitempty"`
	Action string `json:"action"`
	// Why is Cluster API's reason, as it would put it on the machine's UpToDate condition.
	Why []string `json:"why,omitempty"`
}

// machines decides, for every machine of the cluster, what the change does to it, with the
// rules Cluster API itself runs: the KubeadmControlPlane's UpToDate for control-plane machines,
// and the MachineDeployment's MachineTemplateUpToDate for workers.
func machines(ctx context.Context, ov *overlay, cluster *clusterv1.Cluster, steps []step) ([]Machine, error) {
	stepOf := map[objectKey]int{}
	for i, s := range steps {
		for _, k := range s.changed {
			if _, ok := stepOf[k]; !ok {
				stepOf[k] = i + 1
			}
		}
	}
	var out []Machine
	kcps, err := controlPlanes(ctx, ov, cluster)
	if err != nil {
		return nil, err
	}
	for _, kcp := range kcps {
		ms, err := controlPlaneMachines(ctx, ov, cluster, kcp, stepOf[objectKey{gk: gkKCP, namespace: kcp.Namespace, name: kcp.Name}])
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	ws, err := workerMachines(ctx, ov, cluster, stepOf)
	if err != nil {
		return nil, err
	}
	out = append(out, ws...)
	slices.SortStableFunc(out, func(a, b Machine) int { return a.Step - b.Step })
	return out, nil
}

// controlPlanes are the cluster's KubeadmControlPlanes as the plan leaves them.
func controlPlanes(ctx context.Context, ov *overlay, cluster *clusterv1.Cluster) ([]*controlplanev1.KubeadmControlPlane, error) {
	if !cluster.Spec.ControlPlaneRef.IsDefined() {
		return nil, nil
	}
	kcp := &controlplanev1.KubeadmControlPlane{}
	if err := ov.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Spec.ControlPlaneRef.Name}, kcp); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return []*controlplanev1.KubeadmControlPlane{kcp}, nil
}

func controlPlaneMachines(ctx context.Context, ov *overlay, cluster *clusterv1.Cluster, kcp *controlplanev1.KubeadmControlPlane, step int) ([]Machine, error) {
	owner := "KubeadmControlPlane/" + kcp.Name
	ms, err := planeMachines(ctx, ov, cluster, client.MatchingLabels{clusterv1.MachineControlPlaneLabel: ""})
	if err != nil {
		return nil, err
	}
	infra := map[string]*unstructured.Unstructured{}
	configs := map[string]*bootstrapv1.KubeadmConfig{}
	for _, m := range ms {
		if im, err := external.GetObjectFromContractVersionedRef(ctx, ov.Client, m.Spec.InfrastructureRef, m.Namespace); err == nil {
			infra[m.Name] = im
		}
		kc := &bootstrapv1.KubeadmConfig{}
		if err := ov.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.Bootstrap.ConfigRef.Name}, kc); err == nil {
			configs[m.Name] = kc
		}
	}
	now := metav1.Now()
	var out []Machine
	for _, m := range ms {
		upToDate, res, err := kcppkg.UpToDate(ctx, ov, cluster, m, kcp, &now, infra, configs)
		if err != nil {
			return nil, err
		}
		mp := Machine{Step: max(step, 1), Owner: owner, Name: m.Name, Action: Keep}
		switch {
		case !upToDate:
			mp.Action, mp.Why = Replace, res.ConditionMessages
		default:
			desired, err := kcpdesired.ComputeDesiredMachine(kcp, cluster, m.Spec.FailureDomain, m)
			if err != nil {
				return nil, err
			}
			if why := missing("label", desired.Labels, m.Labels); len(why) > 0 {
				mp.Action, mp.Why = InPlace, why
			}
		}
		out = append(out, mp)
	}
	out = append(out, scale(owner, "", max(step, 1), len(ms), int(ptr.Deref(kcp.Spec.Replicas, 1)))...)
	return out, nil
}

func workerMachines(ctx context.Context, ov *overlay, cluster *clusterv1.Cluster, stepOf map[objectKey]int) ([]Machine, error) {
	after := &clusterv1.MachineDeploymentList{}
	if err := ov.List(ctx, after, client.InNamespace(cluster.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name}); err != nil {
		return nil, err
	}
	before := &clusterv1.MachineDeploymentList{}
	if err := ov.Client.List(ctx, before, client.InNamespace(cluster.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name}); err != nil {
		return nil, err
	}
	afterByName := map[string]*clusterv1.MachineDeployment{}
	for i := range after.Items {
		afterByName[after.Items[i].Name] = &after.Items[i]
	}
	var out []Machine
	for i := range before.Items {
		old := &before.Items[i]
		md := afterByName[old.Name]
		step := max(stepOf[objectKey{gk: gkMD, namespace: old.Namespace, name: old.Name}], 1)
		ms, err := poolMachines(ctx, ov, cluster, old, md, step)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
		delete(afterByName, old.Name)
	}
	for _, md := range afterByName {
		// Its name is generated again when the change is applied.
		step := max(stepOf[objectKey{gk: gkMD, namespace: md.Namespace, name: md.Name}], 1)
		out = append(out, scale("MachineDeployment (new)", poolOf(md), step, 0, int(ptr.Deref(md.Spec.Replicas, 0)))...)
	}
	return out, nil
}

// poolMachines plans the machines of one existing MachineDeployment; md is nil when the plan
// deletes it.
func poolMachines(ctx context.Context, ov *overlay, cluster *clusterv1.Cluster, old, md *clusterv1.MachineDeployment, step int) ([]Machine, error) {
	owner, pool := "MachineDeployment/"+old.Name, poolOf(old)
	ms, err := planeMachines(ctx, ov, cluster, client.MatchingLabels{clusterv1.MachineDeploymentNameLabel: old.Name})
	if err != nil {
		return nil, err
	}
	var out []Machine
	if md == nil {
		for _, m := range ms {
			out = append(out, Machine{Step: step, Owner: owner, Pool: pool, Name: m.Name, Action: Delete, Why: []string{"the pool is removed"}})
		}
		return out, nil
	}
	inPlace := fieldDiffs(templateOf(old), templateOf(md))
	for _, m := range ms {
		mp := Machine{Step: step, Owner: owner, Pool: pool, Name: m.Name, Action: Keep}
		set := &clusterv1.MachineSet{}
		if err := ov.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Labels[clusterv1.MachineSetNameLabel]}, set); err != nil {
			return nil, err
		}
		upToDate, res := mdutil.MachineTemplateUpToDate(&set.Spec.Template, &md.Spec.Template)
		switch {
		case !upToDate:
			mp.Action, mp.Why = Replace, res.ConditionMessages
		case len(inPlace) > 0:
			mp.Action = InPlace
			for _, d := range inPlace {
				mp.Why = append(mp.Why, d.String())
			}
		}
		out = append(out, mp)
	}
	out = append(out, scale(owner, pool, step, len(ms), int(ptr.Deref(md.Spec.Replicas, 0)))...)
	return out, nil
}

// planeMachines are the cluster's machines in the plane, oldest first.
func planeMachines(ctx context.Context, ov *overlay, cluster *clusterv1.Cluster, sel client.MatchingLabels) ([]*clusterv1.Machine, error) {
	list := &clusterv1.MachineList{}
	sel[clusterv1.ClusterNameLabel] = cluster.Name
	if err := ov.Client.List(ctx, list, client.InNamespace(cluster.Namespace), sel); err != nil {
		return nil, err
	}
	out := make([]*clusterv1.Machine, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	slices.SortFunc(out, func(a, b *clusterv1.Machine) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// scale is the machines a change of replicas from have to want creates or deletes.
func scale(owner, pool string, step, have, want int) []Machine {
	switch {
	case want > have:
		return []Machine{{Step: step, Owner: owner, Pool: pool, Count: want - have, Action: Create, Why: []string{fmt.Sprintf("replicas %d -> %d", have, want)}}}
	case want < have:
		return []Machine{{Step: step, Owner: owner, Pool: pool, Count: have - want, Action: Delete, Why: []string{fmt.Sprintf("replicas %d -> %d", have, want)}}}
	}
	return nil
}

// missing lists the entries of want that have lacks or holds otherwise.
func missing(what string, want, have map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := have[k]; !ok || v != want[k] {
			out = append(out, fmt.Sprintf("%s %s=%s", what, k, want[k]))
		}
	}
	return out
}

// ControlPlane stands for the control plane where a pool is named.
const ControlPlane = "control plane"

// Group is the machine's pool, or the control plane.
func (m Machine) Group() string {
	if m.Pool == "" {
		return ControlPlane
	}
	return m.Pool
}

func poolOf(md *clusterv1.MachineDeployment) string {
	return md.Labels[clusterv1.ClusterTopologyMachineDeploymentNameLabel]
}

func templateOf(md *clusterv1.MachineDeployment) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&md.Spec.Template)
	if err != nil {
		return nil
	}
	return m
}
