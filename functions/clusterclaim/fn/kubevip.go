/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
)

// On the kubeadm init machine kube-vip must talk to the API server as super-admin: kubeadm
// (1.29 and later) binds admin.conf to cluster-admin only once init uploads its RBAC, after the
// API server must already be reachable at the virtual IP. Cluster API Provider vSphere's
// templates do the same.
const (
	kubeVIPUseSuperAdmin = `if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i 's#path: /etc/kubernetes/admin.conf#path: /etc/kubernetes/super-admin.conf#' ` + infrav1.KubeVIPManifestPath + `; fi`
	kubeVIPUseAdmin      = `if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i 's#path: /etc/kubernetes/super-admin.conf#path: /etc/kubernetes/admin.conf#' ` + infrav1.KubeVIPManifestPath + `; fi`
)

// addKubeVIP makes every control-plane machine of cluster run kube-vip's static pod, read from
// the Secret the CapstanCluster controller writes once the virtual IP is reserved.
func addKubeVIP(s *bootstrapv1.KubeadmConfigSpec, cluster string) {
	s.Files = append(s.Files, bootstrapv1.File{
		Path:        infrav1.KubeVIPManifestPath,
		Owner:       "root:root",
		Permissions: "0644",
		ContentFrom: bootstrapv1.FileSource{Secret: bootstrapv1.SecretFileSource{
			Name: infrav1.KubeVIPSecretName(cluster),
			Key:  infrav1.KubeVIPSecretKey,
		}},
	})
	s.PreKubeadmCommands = append(s.PreKubeadmCommands, kubeVIPUseSuperAdmin)
	s.PostKubeadmCommands = append(s.PostKubeadmCommands, kubeVIPUseAdmin)
}
