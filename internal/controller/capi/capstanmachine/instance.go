/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capstanmachine

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
)

// bootstrapDataKey is the key Cluster API's bootstrap providers write bootstrap data to.
const bootstrapDataKey = "value"

// Instance states the in-memory and real clouds report (compute.capstan.dev atProvider.state).
const (
	stateRunning = "Running"
	stateFailed  = "Failed"
)

// instance is the Instance a CapstanMachine asks for. Instances cannot change in place; Cluster
// API replaces machines instead of changing them, so this is only ever created.
func instance(cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster, m *clusterv1.Machine, cm *infrav1.CapstanMachine) *computev1alpha1.Instance {
	labels := map[string]string{clusterv1.ClusterNameLabel: cl.GetName()}
	if util.IsControlPlaneMachine(m) {
		labels[clusterv1.MachineControlPlaneLabel] = ""
	}
	in := &computev1alpha1.Instance{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cm.GetNamespace(),
			Name:      cm.GetName(),
			Labels:    labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cm,
				infrav1.CapstanMachineGroupVersionKind)},
		},
		Spec: computev1alpha1.InstanceSpec{
			ForProvider: computev1alpha1.InstanceParameters{
				Image: cm.Spec.Image,
				BootstrapDataSecretRef: &computev1alpha1.BootstrapDataSecretRef{
					Name: ptr.Deref(m.Spec.Bootstrap.DataSecretName, ""),
					Key:  bootstrapDataKey,
				},
			},
		},
	}
	if cm.Spec.Size != "" {
		in.Spec.ForProvider.Size = ptr.To(cm.Spec.Size)
	}
	if r := cm.Spec.Resources; r != nil {
		in.Spec.ForProvider.Resources = &computev1alpha1.InstanceResources{CPU: r.CPU, MemoryMiB: r.MemoryMiB, DiskGiB: r.DiskGiB}
	}
	if fd := failureDomain(m, cm); fd != "" {
		in.Spec.ForProvider.FailureDomain = ptr.To(fd)
	}
	ref := cm.Spec.ProviderConfigRef
	if ref == nil && capstanCluster != nil {
		ref = capstanCluster.Spec.ProviderConfigRef
	}
	if ref != nil {
		in.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: string(ref.Kind), Name: ref.Name}
	}
	return in
}

// failureDomain is where a machine goes: Cluster API's choice on the Machine wins over the
// CapstanMachine's own.
func failureDomain(m *clusterv1.Machine, cm *infrav1.CapstanMachine) string {
	if m.Spec.FailureDomain != "" {
		return m.Spec.FailureDomain
	}
	return cm.Spec.FailureDomain
}

// running reports whether an Instance is ready and runs.
func running(in *computev1alpha1.Instance) bool {
	return in.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && in.Status.AtProvider.State == stateRunning
}

// failure says why an Instance cannot run, or "" when nothing is wrong yet.
func failure(in *computev1alpha1.Instance) string {
	if in.Status.AtProvider.State == stateFailed {
		if in.Status.AtProvider.Message != "" {
			return in.Status.AtProvider.Message
		}
		return "the Instance failed"
	}
	if c := in.GetCondition(xpv2.TypeSynced); c.Status == corev1.ConditionFalse && c.Reason == xpv2.ReasonReconcileError {
		return c.Message
	}
	return ""
}

// observe copies what the cloud reports about an Instance into the CapstanMachine's contract
// fields. The providerID is set once: Cluster API matches Nodes by it.
func observe(in *computev1alpha1.Instance, cm *infrav1.CapstanMachine) {
	if cm.Spec.ProviderID == "" && in.Status.AtProvider.ProviderID != "" {
		cm.Spec.ProviderID = in.Status.AtProvider.ProviderID
	}
	if fd := in.Status.AtProvider.FailureDomain; fd != "" {
		cm.Status.FailureDomain = fd
	}
	if len(in.Status.AtProvider.Addresses) == 0 {
		return
	}
	addrs := make([]clusterv1.MachineAddress, 0, len(in.Status.AtProvider.Addresses))
	for _, a := range in.Status.AtProvider.Addresses {
		addrs = append(addrs, clusterv1.MachineAddress{Type: clusterv1.MachineAddressType(a.Type), Address: a.Address})
	}
	cm.Status.Addresses = addrs
}
