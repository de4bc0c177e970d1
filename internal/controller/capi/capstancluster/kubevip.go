/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capstancluster

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
)

// DefaultKubeVIPImage and DefaultKubeVIPInterface are used when the CapstanCluster says none.
const (
	DefaultKubeVIPImage     = "ghcr.io/kube-vip/kube-vip:v1.0.0"
	DefaultKubeVIPInterface = "eth0"
)

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update

// applyKubeVIPManifest writes the kube-vip static pod that announces ep to the cluster's Secret.
func (r *Reconciler) applyKubeVIPManifest(ctx context.Context, cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster, ep infrav1.APIEndpoint) error {
	manifest, err := yaml.Marshal(kubeVIPPod(capstanCluster.Spec.LoadBalancer.KubeVIP, ep))
	if err != nil {
		return errors.Wrap(err, "cannot encode the kube-vip manifest")
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: capstanCluster.GetNamespace(),
			Name:      infrav1.KubeVIPSecretName(cl.GetName()),
			Labels:    map[string]string{clusterv1.ClusterNameLabel: cl.GetName()},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(capstanCluster,
				infrav1.CapstanClusterGroupVersionKind)},
		},
		Data: map[string][]byte{infrav1.KubeVIPSecretKey: manifest},
	}
	existing := &corev1.Secret{}
	err = r.Client.Get(ctx, client.ObjectKeyFromObject(s), existing)
	switch {
	case client.IgnoreNotFound(err) != nil:
		return errors.Wrapf(err, "cannot get Secret %s", s.GetName())
	case err != nil:
		return errors.Wrapf(r.Client.Create(ctx, s), "cannot create Secret %s", s.GetName())
	case !metav1.IsControlledBy(existing, capstanCluster):
		return errors.Errorf("Secret %s exists and is not controlled by this CapstanCluster", s.GetName())
	case string(existing.Data[infrav1.KubeVIPSecretKey]) == string(manifest):
		return nil
	}
	existing.Data = s.Data
	return errors.Wrapf(r.Client.Update(ctx, existing), "cannot update Secret %s", s.GetName())
}

// kubeVIPPod is kube-vip's static pod in ARP mode, announcing ep from the leader of the
// control-plane machines, as Cluster API Provider vSphere's templates run it.
func kubeVIPPod(k infrav1.KubeVIP, ep infrav1.APIEndpoint) *corev1.Pod {
	image, iface := k.Image, k.Interface
	if image == "" {
		image = DefaultKubeVIPImage
	}
	if iface == "" {
		iface = DefaultKubeVIPInterface
	}
	const kubeconfig = "/etc/kubernetes/admin.conf"
	env := []corev1.EnvVar{
		{Name: "cp_enable", Value: "true"},
		{Name: "vip_arp", Value: "true"},
		{Name: "vip_leaderelection", Value: "true"},
		{Name: "vip_leaseduration", Value: "15"},
		{Name: "vip_renewdeadline", Value: "10"},
		{Name: "vip_retryperiod", Value: "2"},
		{Name: "vip_interface", Value: iface},
		{Name: "address", Value: ep.Host},
		{Name: "port", Value: strconv.Itoa(int(ep.Port))},
	}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "kube-vip", Namespace: metav1.NamespaceSystem},
		Spec: corev1.PodSpec{
			HostNetwork: true,
			// NOTE: kube-vip reaches the local API server by the name in the kubeconfig.
			HostAliases: []corev1.HostAlias{{IP: "127.0.0.1", Hostnames: []string{"kubernetes"}}},
			Containers: []corev1.Container{{
				Name:            "kube-vip",
				Image:           image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            []string{"manager"},
				Env:             env,
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{
					Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"},
				}},
				VolumeMounts: []corev1.VolumeMount{{Name: "kubeconfig", MountPath: kubeconfig}},
			}},
			Volumes: []corev1.Volume{{Name: "kubeconfig", VolumeSource: corev1.VolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: kubeconfig, Type: ptr.To(corev1.HostPathFile)},
			}}},
		},
	}
}
