/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// Where a cluster's kube-vip static pod comes from, when its LoadBalancer is a virtual IP the
// control-plane machines announce: the CapstanCluster controller writes the manifest to the
// Secret KubeVIPSecretName(cluster), key KubeVIPSecretKey, and the control plane's KubeadmConfig
// writes it to KubeVIPManifestPath through a file's contentFrom.
const (
	KubeVIPSecretKey    = "kube-vip.yaml"
	KubeVIPManifestPath = "/etc/kubernetes/manifests/kube-vip.yaml"
)

// KubeVIPSecretName is the Secret holding the kube-vip manifest of the Cluster named cluster.
func KubeVIPSecretName(cluster string) string {
	return cluster + "-kube-vip"
}
