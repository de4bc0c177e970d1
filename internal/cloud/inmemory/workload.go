/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	kubeadmtypes "sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types"
	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Names kubeadm and the kubelet use in a workload cluster.
const (
	labelControlPlane     = "node-role.kubernetes.io/control-plane"
	labelExcludeFromLB    = "node.kubernetes.io/exclude-from-external-load-balancers"
	labelHostname         = "kubernetes.io/hostname"
	labelZone             = "topology.kubernetes.io/zone"
	kubeadmConfigMap      = "kubeadm-config"
	clusterConfigKey      = "ClusterConfiguration"
	kubeadmGetNodesRole   = "kubeadm:get-nodes"
	kubeadmBootstrapGroup = "system:bootstrappers:kubeadm:default-node-token"
)

// staticPods are the kubeadm static pods of a control plane node that KCP checks.
var staticPods = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// machine is what the workload cluster learns about a booting instance.
type machine struct {
	nodeName      string
	providerID    string
	failureDomain string
	addresses     []corev1.NodeAddress
	capacity      corev1.ResourceList
	kubeletVer    string
	boot          *bootData
}

// staticPodName is the name kubeadm's static pods get on a node.
func staticPodName(component, node string) string {
	return component + "-" + node
}

// initCluster writes what kubeadm init uploads to a new cluster: namespaces, the kubeadm-config
// ConfigMap, cluster-info, the RBAC kubeadm join relies on, and the kube-proxy and CoreDNS addons.
func initCluster(ctx context.Context, c inmemoryruntime.Client, b *bootData) error {
	objs := []client.Object{
		&corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: kubeadmConfigMap},
			Data:       map[string]string{clusterConfigKey: b.clusterConfiguration},
		},
		&corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespacePublic, Name: "cluster-info"},
			Data:       map[string]string{"kubeconfig": ""},
		},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: kubeadmGetNodesRole},
			Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"nodes"}}},
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: kubeadmGetNodesRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: kubeadmGetNodesRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: kubeadmBootstrapGroup}},
		},
		&appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "kube-proxy", Labels: map[string]string{"k8s-app": "kube-proxy"}},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:" + imageTag(b.kubernetesVersion),
			}}}}},
		},
		&corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "coredns"},
			Data:       map[string]string{"Corefile": ".:53 {\n    forward . /etc/resolv.conf\n}\n"},
		},
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.12.1",
			}}}}},
		},
	}
	for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespacePublic, metav1.NamespaceSystem, corev1.NamespaceNodeLease} {
		objs = append([]client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns},
		}}}, objs...)
	}
	return createAll(ctx, c, objs...)
}

// joinNode registers the machine's Node, as its kubelet would.
func joinNode(ctx context.Context, c inmemoryruntime.Client, m *machine) error {
	now := metav1.Now()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.nodeName,
			Labels: map[string]string{
				labelHostname:                     m.nodeName,
				corev1.LabelOSStable:              "linux",
				corev1.LabelArchStable:            "amd64",
				labelZone:                         m.failureDomain,
				corev1.LabelFailureDomainBetaZone: m.failureDomain,
			},
		},
		Spec: corev1.NodeSpec{ProviderID: m.providerID, Taints: nodeTaints(m.boot)},
		Status: corev1.NodeStatus{
			Capacity:    m.capacity,
			Allocatable: m.capacity,
			Addresses:   m.addresses,
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:          m.kubeletVer,
				OperatingSystem:         "linux",
				Architecture:            "amd64",
				ContainerRuntimeVersion: "containerd://2.1.0",
			},
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastTransitionTime: now, LastHeartbeatTime: now},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastTransitionTime: now, LastHeartbeatTime: now},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastTransitionTime: now, LastHeartbeatTime: now},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastTransitionTime: now, LastHeartbeatTime: now},
			},
		},
	}
	if m.boot.controlPlane() {
		node.Labels[labelControlPlane] = ""
		node.Labels[labelExcludeFromLB] = ""
	}
	return createAll(ctx, c, node)
}

// nodeTaints are the taints kubeadm registers: nodeRegistration.taints when set (even empty),
// else the control-plane taint on control plane nodes.
func nodeTaints(b *bootData) []corev1.Taint {
	if b.taints != nil {
		return *b.taints
	}
	if b.controlPlane() {
		return []corev1.Taint{{Key: labelControlPlane, Effect: corev1.TaintEffectNoSchedule}}
	}
	return nil
}

// startControlPlane creates the machine's kubeadm static pods: kube-apiserver,
// kube-controller-manager, kube-scheduler and, unless etcd is external, an etcd member.
func startControlPlane(ctx context.Context, c inmemoryruntime.Client, m *machine) error {
	pods := make([]client.Object, 0, len(staticPods)+1)
	for _, component := range staticPods {
		pods = append(pods, staticPod(component, m.nodeName))
	}
	if m.boot.etcdCA != nil {
		etcd, err := etcdPod(ctx, c, m.nodeName)
		if err != nil {
			return err
		}
		pods = append(pods, etcd)
	}
	return createAll(ctx, c, pods...)
}

// etcdPod is a new etcd member's static pod. The in-memory etcd reads the cluster, member and
// leader IDs from its annotations: the first member founds the cluster and leads it.
func etcdPod(ctx context.Context, c inmemoryruntime.Client, node string) (*corev1.Pod, error) {
	pod := staticPod("etcd", node)
	existing := &corev1.PodList{}
	if err := c.List(ctx, existing, client.InNamespace(metav1.NamespaceSystem), client.MatchingLabels{"component": "etcd", "tier": "control-plane"}); err != nil {
		return nil, errors.Wrap(err, "cannot list etcd members")
	}
	clusterID, members, hasLeader := "", map[string]bool{}, false
	for _, p := range existing.Items {
		if p.Name == pod.Name {
			return &p, nil
		}
		if _, removed := p.Annotations[cloudv1.EtcdMemberRemoved]; removed {
			continue
		}
		clusterID = p.Annotations[cloudv1.EtcdClusterIDAnnotationName]
		members[p.Annotations[cloudv1.EtcdMemberIDAnnotationName]] = true
		if _, ok := p.Annotations[cloudv1.EtcdLeaderFromAnnotationName]; ok {
			hasLeader = true
		}
	}
	if clusterID == "" {
		clusterID = randomID(nil)
	}
	pod.Annotations = map[string]string{
		cloudv1.EtcdClusterIDAnnotationName: clusterID,
		cloudv1.EtcdMemberIDAnnotationName:  randomID(members),
	}
	if !hasLeader {
		pod.Annotations[cloudv1.EtcdLeaderFromAnnotationName] = time.Now().Format(time.RFC3339)
	}
	return pod, nil
}

// randomID is a non-zero etcd ID not in taken.
func randomID(taken map[string]bool) string {
	for {
		id := strconv.FormatUint(uint64(rand.Uint32()), 10) //nolint:gosec // etcd IDs need no cryptographic randomness.
		if id != "0" && !taken[id] {
			return id
		}
	}
}

func staticPod(component, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: metav1.NamespaceSystem,
			Name:      staticPodName(component, node),
			Labels:    map[string]string{"component": component, "tier": "control-plane"},
		},
		Spec: corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

// removeMachine deletes what a machine brought to the cluster: its Node and static pods.
func removeMachine(ctx context.Context, c inmemoryruntime.Client, node string, controlPlane bool) error {
	objs := []client.Object{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}}
	if controlPlane {
		for _, component := range append([]string{"etcd"}, staticPods...) {
			objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: staticPodName(component, node)}})
		}
	}
	for _, o := range objs {
		if err := c.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			return errors.Wrapf(err, "cannot delete %T %s", o, o.GetName())
		}
	}
	return nil
}

// clusterKubernetesVersion is the kubernetesVersion of the cluster's kubeadm-config ConfigMap, as
// kubeadm join reads it; empty when the cluster has none.
func clusterKubernetesVersion(ctx context.Context, c inmemoryruntime.Client) (string, error) {
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: metav1.NamespaceSystem, Name: kubeadmConfigMap}, cm); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	if cm.Data[clusterConfigKey] == "" {
		return "", nil
	}
	_, extra, err := kubeadmtypes.UnmarshalClusterConfiguration(cm.Data[clusterConfigKey])
	if err != nil {
		return "", errors.Wrap(err, "cannot decode the kubeadm-config ConfigMap")
	}
	return ptr.Deref(extra.KubernetesVersion, ""), nil
}

// nodeCapacity is what the kubelet reports for a machine of spec's size.
func nodeCapacity(cpu, memoryMiB, diskGiB int32) corev1.ResourceList {
	l := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")}
	if cpu > 0 {
		l[corev1.ResourceCPU] = *resource.NewQuantity(int64(cpu), resource.DecimalSI)
	}
	if memoryMiB > 0 {
		l[corev1.ResourceMemory] = *resource.NewQuantity(int64(memoryMiB)*1024*1024, resource.BinarySI)
	}
	if diskGiB > 0 {
		l[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(int64(diskGiB)*1024*1024*1024, resource.BinarySI)
	}
	return l
}

// imageTag turns a Kubernetes version into an image tag (+ is not allowed in tags).
func imageTag(v string) string {
	return strings.ReplaceAll(v, "+", "_")
}

// createAll creates objs, leaving those that already exist alone.
func createAll(ctx context.Context, c inmemoryruntime.Client, objs ...client.Object) error {
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return errors.Wrapf(err, "cannot create %T %s", o, o.GetName())
		}
	}
	return nil
}
