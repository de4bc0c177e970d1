/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capstancluster

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
)

// DefaultAPIServerPort is the port control-plane machines serve the Kubernetes API on when the
// CapstanCluster does not say: kubeadm's default.
const DefaultAPIServerPort = 6443

// LoadBalancerName is the name of the LoadBalancer in front of a CapstanCluster's control plane,
// in the CapstanCluster's namespace.
func LoadBalancerName(capstanCluster *infrav1.CapstanCluster) string {
	return capstanCluster.GetName()
}

// loadBalancer is the LoadBalancer a CapstanCluster asks for. Its backends are left to the
// CapstanMachine controller, which adds control-plane Instances as they come and go.
func loadBalancer(cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster) *networkv1alpha1.LoadBalancer {
	port := capstanCluster.Spec.LoadBalancer.APIServerPort
	if port == 0 {
		port = DefaultAPIServerPort
	}
	lb := &networkv1alpha1.LoadBalancer{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: capstanCluster.GetNamespace(),
			Name:      LoadBalancerName(capstanCluster),
			Labels:    map[string]string{clusterv1.ClusterNameLabel: cl.GetName()},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(capstanCluster,
				infrav1.CapstanClusterGroupVersionKind)},
		},
		Spec: networkv1alpha1.LoadBalancerSpec{
			ForProvider: networkv1alpha1.LoadBalancerParameters{
				Listeners: []networkv1alpha1.Listener{{Port: port, Protocol: networkv1alpha1.ProtocolTCP}},
			},
		},
	}
	if ref := capstanCluster.Spec.ProviderConfigRef; ref != nil {
		lb.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: string(ref.Kind), Name: ref.Name}
	}
	return lb
}

// endpoint is the control-plane endpoint a LoadBalancer serves, once it is ready and has one.
func endpoint(lb *networkv1alpha1.LoadBalancer) (infrav1.APIEndpoint, bool) {
	if lb.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		return infrav1.APIEndpoint{}, false
	}
	h, p := lb.Status.AtProvider.Host, lb.Status.AtProvider.Port
	if h == "" || p == 0 {
		return infrav1.APIEndpoint{}, false
	}
	return infrav1.APIEndpoint{Host: h, Port: p}, true
}

// failureDomains are the failure domains a CapstanCluster offers Cluster API; each may hold
// control-plane machines.
func failureDomains(capstanCluster *infrav1.CapstanCluster) []clusterv1.FailureDomain {
	if len(capstanCluster.Spec.FailureDomains) == 0 {
		return nil
	}
	out := make([]clusterv1.FailureDomain, 0, len(capstanCluster.Spec.FailureDomains))
	for _, n := range capstanCluster.Spec.FailureDomains {
		out = append(out, clusterv1.FailureDomain{Name: n, ControlPlane: ptr.To(true)})
	}
	return out
}
