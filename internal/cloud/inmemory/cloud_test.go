/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"crypto/tls"
	"net"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver/v4"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	kubeadmtypes "sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/proxy"
	"sigs.k8s.io/cluster-api/util/secret"

	"github.com/capstan-dev/capstan/internal/cloud"
)

func TestInstanceBootsAfterBootDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	c := newTestCloud(t, Options{BootDelay: delay})
	_, ep := newTestLoadBalancer(t, c, "lb")

	start := time.Now()
	got, err := c.CreateInstance(context.Background(), "cp-0", cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, UserData: initUserData(t, ep, clusterCerts())})
	if err != nil {
		t.Fatal(err)
	}
	want := &cloud.Instance{
		ID:            "cp-0",
		ProviderID:    "capstan://cp-0",
		State:         cloud.InstanceStateProvisioning,
		Message:       msgBooting,
		FailureDomain: "fd-a",
		Addresses: []cloud.Address{
			{Type: cloud.AddressInternalIP, Address: "10.0.0.1"},
			{Type: cloud.AddressHostname, Address: "cp-0"},
		},
		Spec:       got.Spec,
		LaunchTime: got.LaunchTime,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateInstance(): -want, +got:\n%s", diff)
	}
	if got.LaunchTime.Before(start) || got.LaunchTime.After(time.Now()) {
		t.Errorf("CreateInstance(): launch time %s, want the time of the call (after %s)", got.LaunchTime, start)
	}

	running := waitForState(t, c, "cp-0", cloud.InstanceStateRunning)
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("instance Running after %s, before BootDelay %s", elapsed, delay)
	}
	want.State, want.Message = cloud.InstanceStateRunning, ""
	if diff := cmp.Diff(want, running); diff != "" {
		t.Errorf("GetInstance(): -want, +got:\n%s", diff)
	}
}

func TestControlPlaneServesWorkloadAPI(t *testing.T) {
	c := newTestCloud(t, Options{})
	_, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(context.Background(), "cp-0", cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)

	// NOTE: the client verifies the serving certificate against the cluster CA.
	wc := workloadClient(t, ep, clusterCerts())
	v, err := wc.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("GET /version: %v", err)
	}
	if diff := cmp.Diff([]string{"1", "35", testVersion}, []string{v.Major, v.Minor, v.GitVersion}); diff != "" {
		t.Errorf("GET /version: -want, +got:\n%s", diff)
	}

	nodes, err := wc.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("GET /api/v1/nodes: %v", err)
	}
	if len(nodes.Items) != 1 {
		t.Fatalf("GET /api/v1/nodes: want 1 Node, got %d", len(nodes.Items))
	}
	n := nodes.Items[0]
	got := nodeSummary{
		Name: n.Name, ProviderID: n.Spec.ProviderID, Version: n.Status.NodeInfo.KubeletVersion,
		ControlPlane: hasLabel(n, labelControlPlane), Zone: n.Labels[labelZone], Taints: len(n.Spec.Taints),
		Addresses: n.Status.Addresses, CPU: n.Status.Capacity.Cpu().String(),
	}
	want := nodeSummary{
		Name: "cp-0", ProviderID: "capstan://cp-0", Version: testVersion, ControlPlane: true, Zone: "fd-a", Taints: 1,
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}, {Type: corev1.NodeHostName, Address: "cp-0"}},
		CPU:       "2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Node: -want, +got:\n%s", diff)
	}

	pods, err := wc.CoreV1().Pods(metav1.NamespaceSystem).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	wantPods := []string{"etcd-cp-0", "kube-apiserver-cp-0", "kube-controller-manager-cp-0", "kube-scheduler-cp-0"}
	if diff := cmp.Diff(wantPods, names); diff != "" {
		t.Errorf("kube-system pods: -want, +got:\n%s", diff)
	}
	if _, err := wc.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(context.Background(), kubeadmConfigMap, metav1.GetOptions{}); err != nil {
		t.Errorf("kubeadm-config ConfigMap: %v", err)
	}

	// KCP reaches each etcd member by naming its pod as the TLS server name.
	conn, err := tls.Dial("tcp", ep, &tls.Config{ServerName: "etcd-cp-0", RootCAs: caPool(t, clusterCerts(), secret.EtcdCA), MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS to etcd member etcd-cp-0, verified with the etcd CA: %v", err)
	}
	_ = conn.Close()
}

type nodeSummary struct {
	Name, ProviderID, Version string
	ControlPlane              bool
	Zone                      string
	Taints                    int
	Addresses                 []corev1.NodeAddress
	CPU                       string
}

func hasLabel(n corev1.Node, l string) bool {
	_, ok := n.Labels[l]
	return ok
}

func TestMachinesJoin(t *testing.T) {
	c := newTestCloud(t, Options{})
	_, ep := newTestLoadBalancer(t, c, "lb")
	ctx := context.Background()

	// The worker boots first and waits for the control plane, as kubeadm join would.
	if _, err := c.CreateInstance(ctx, "worker-0", cloud.InstanceSpec{UserData: workerUserData(t, ep)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if i, _ := c.GetInstance(ctx, "worker-0"); i.State != cloud.InstanceStateProvisioning {
		t.Fatalf("worker with no control plane: want Provisioning, got %s (%q)", i.State, i.Message)
	}

	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateInstance(ctx, "cp-1", cloud.InstanceSpec{FailureDomain: "fd-c", UserData: joinControlPlaneUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"cp-0", "cp-1", "worker-0"} {
		waitForState(t, c, id, cloud.InstanceStateRunning)
	}

	nodes, err := workloadClient(t, ep, clusterCerts()).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]nodeSummary{}
	for _, n := range nodes.Items {
		got[n.Name] = nodeSummary{Name: n.Name, ProviderID: n.Spec.ProviderID, Version: n.Status.NodeInfo.KubeletVersion, ControlPlane: hasLabel(n, labelControlPlane), Zone: n.Labels[labelZone], Taints: len(n.Spec.Taints)}
	}
	want := map[string]nodeSummary{
		"cp-0":     {Name: "cp-0", ProviderID: "capstan://cp-0", Version: testVersion, ControlPlane: true, Zone: "fd-b", Taints: 1},
		"cp-1":     {Name: "cp-1", ProviderID: "capstan://cp-1", Version: testVersion, ControlPlane: true, Zone: "fd-c", Taints: 1},
		"worker-0": {Name: "worker-0", ProviderID: "capstan://worker-0", Version: testVersion, Zone: "fd-a"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Nodes: -want, +got:\n%s", diff)
	}

	// KCP reaches etcd through a port forward to the member's pod, and sees both members.
	members := etcdMembers(t, ep, "cp-0")
	if diff := cmp.Diff([]string{"cp-0", "cp-1"}, members); diff != "" {
		t.Errorf("etcd members: -want, +got:\n%s", diff)
	}

	// A deleted worker leaves the cluster.
	if err := c.DeleteInstance(ctx, "worker-0"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetInstance(ctx, "worker-0"); !cloud.IsNotFound(err) {
		t.Errorf("GetInstance() after delete: want not found, got %v", err)
	}
	nodes, err = workloadClient(t, ep, clusterCerts()).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 2 {
		t.Errorf("Nodes after deleting the worker: want 2, got %d", len(nodes.Items))
	}
}

func TestDeleteLoadBalancerFreesPort(t *testing.T) {
	c := newTestCloud(t, Options{})
	ctx := context.Background()
	lb, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)

	// An open watch holds a connection: deleting must not wait on it.
	w, err := workloadClient(t, ep, clusterCerts()).CoreV1().Nodes().Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	if diff := cmp.Diff(cloud.Inventory{Instances: 1, LoadBalancers: 1}, c.Inventory()); diff != "" {
		t.Errorf("Inventory() before delete: -want, +got:\n%s", diff)
	}
	start := time.Now()
	if err := c.DeleteLoadBalancer(ctx, "lb"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("DeleteLoadBalancer took %s with a watch open", d)
	}
	if conn, err := net.DialTimeout("tcp", ep, time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("dial %s after DeleteLoadBalancer: want an error, got a connection", ep)
	}
	if _, err := c.GetLoadBalancer(ctx, "lb"); !cloud.IsNotFound(err) {
		t.Errorf("GetLoadBalancer() after delete: want not found, got %v", err)
	}
	ln, err := net.Listen("tcp", ep)
	if err != nil {
		t.Fatalf("port %d still held after DeleteLoadBalancer: %v", lb.Port, err)
	}
	_ = ln.Close()

	// The instance outlives its load balancer and deletes cleanly.
	if err := c.DeleteInstance(ctx, "cp-0"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cloud.Inventory{}, c.Inventory()); diff != "" {
		t.Errorf("Inventory() after delete: -want, +got:\n%s", diff)
	}
}

func TestLoadBalancerKeepsFrontendPort(t *testing.T) {
	ctx := context.Background()
	port := freePort(t)
	spec := cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP, FrontendPort: port}}}

	// A first provider life serves on the port; the next asks for it again.
	first := newTestCloud(t, Options{})
	if _, err := first.CreateLoadBalancer(ctx, "lb", spec); err != nil {
		t.Fatal(err)
	}
	if _, err := first.CreateLoadBalancer(ctx, "other", spec); err == nil {
		t.Errorf("CreateLoadBalancer() on a port in use: want an error, got none")
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second := newTestCloud(t, Options{})
	got, err := second.CreateLoadBalancer(ctx, "lb", spec)
	if err != nil {
		t.Fatal(err)
	}
	want := &cloud.LoadBalancer{
		ID: "lb", Host: DefaultBindAddress, Port: port, State: cloud.LoadBalancerStateActive,
		Spec: spec, Backends: []cloud.BackendStatus{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateLoadBalancer(): -want, +got:\n%s", diff)
	}
}

func TestCloseFreesEveryPort(t *testing.T) {
	c := newTestCloud(t, Options{})
	ctx := context.Background()
	eps := []string{}
	for _, id := range []string{"a", "b", "c"} {
		_, ep := newTestLoadBalancer(t, c, id)
		eps = append(eps, ep)
	}
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(t, eps[0], clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps {
		if conn, err := net.DialTimeout("tcp", ep, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("dial %s after Close: want an error, got a connection", ep)
		}
	}
	if _, err := c.CreateInstance(ctx, "late", cloud.InstanceSpec{}); err == nil {
		t.Errorf("CreateInstance() after Close: want an error, got none")
	}
}

func TestBootFailures(t *testing.T) {
	c := newTestCloud(t, Options{})
	_, ep := newTestLoadBalancer(t, c, "lb")
	_, otherEP := newTestLoadBalancer(t, c, "other")
	if _, err := c.CreateInstance(context.Background(), "other-cp", cloud.InstanceSpec{UserData: initUserData(t, otherEP, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "other-cp", cloud.InstanceStateRunning)
	nowhere := net.JoinHostPort(DefaultBindAddress, strconv.Itoa(int(freePort(t))))

	cases := map[string]struct {
		reason   string
		userData []byte
		want     string
	}{
		"Empty": {
			reason:   "A machine with no user data cannot boot.",
			userData: nil,
			want:     "cannot boot from the user data: user data is empty",
		},
		"NotCloudConfig": {
			reason:   "Only #cloud-config bootstrap data is understood.",
			userData: []byte(`{"ignition": {"version": "3.4.0"}}`),
			want:     "cannot boot from the user data: user data is not a #cloud-config document (only cloud-init kubeadm bootstrap data is supported)",
		},
		"NoKubeadmConfig": {
			reason:   "A cloud-config without kubeadm's configuration is not kubeadm bootstrap data.",
			userData: []byte("#cloud-config\nwrite_files:\n- path: /etc/motd\n  content: hi\n"),
			want:     "cannot boot from the user data: user data writes neither /run/kubeadm/kubeadm.yaml (kubeadm init) nor /run/kubeadm/kubeadm-join-config.yaml (kubeadm join)",
		},
		"NoClusterCAKey": {
			reason:   "A control plane machine needs the cluster CA key to serve.",
			userData: initUserData(t, ep, withoutKey(clusterCerts(), secret.ClusterCA)),
			want:     "cannot boot from the user data: cannot read the cluster CA: user data does not write /etc/kubernetes/pki/ca.key",
		},
		"NoLoadBalancer": {
			reason:   "The endpoint the user data names must be a load balancer of this cloud.",
			userData: workerUserData(t, nowhere),
			want:     "no load balancer serves the control plane endpoint " + nowhere + " named by the user data",
		},
		"SecondInit": {
			reason:   "kubeadm init on a cluster that already has a control plane is refused.",
			userData: initUserData(t, otherEP, clusterCerts()),
			want:     "kubeadm init found a control plane already serving at " + otherEP + "; a machine joins a cluster with kubeadm join",
		},
		"ForeignCA": {
			reason:   "A control plane machine of another cluster cannot join.",
			userData: joinControlPlaneUserData(t, otherEP, otherCerts()),
			want:     "the cluster CA in the user data is not the CA of the cluster served at " + otherEP,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := c.CreateInstance(context.Background(), name, cloud.InstanceSpec{UserData: tc.userData}); err != nil {
				t.Fatal(err)
			}
			got := waitForState(t, c, name, cloud.InstanceStateFailed)
			if diff := cmp.Diff(tc.want, got.Message); diff != "" {
				t.Errorf("%s\nMessage: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestJoinTimesOut(t *testing.T) {
	c := newTestCloud(t, Options{JoinTimeout: 50 * time.Millisecond})
	_, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(context.Background(), "worker", cloud.InstanceSpec{UserData: workerUserData(t, ep)}); err != nil {
		t.Fatal(err)
	}
	got := waitForState(t, c, "worker", cloud.InstanceStateFailed)
	want := "waiting for a control plane at " + ep + ": no control plane serves yet"
	if diff := cmp.Diff(want, got.Message); diff != "" {
		t.Errorf("Message: -want, +got:\n%s", diff)
	}
}

func TestDriverErrors(t *testing.T) {
	c := newTestCloud(t, Options{})
	ctx := context.Background()
	if _, err := c.GetInstance(ctx, "missing"); !cloud.IsNotFound(err) {
		t.Errorf("GetInstance(missing): want not found, got %v", err)
	}
	if _, err := c.GetLoadBalancer(ctx, "missing"); !cloud.IsNotFound(err) {
		t.Errorf("GetLoadBalancer(missing): want not found, got %v", err)
	}
	if _, err := c.UpdateLoadBalancer(ctx, "missing", cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP}}}); !cloud.IsNotFound(err) {
		t.Errorf("UpdateLoadBalancer(missing): want not found, got %v", err)
	}
	if err := c.DeleteInstance(ctx, "missing"); err != nil {
		t.Errorf("DeleteInstance(missing): want nil, got %v", err)
	}
	if err := c.DeleteLoadBalancer(ctx, "missing"); err != nil {
		t.Errorf("DeleteLoadBalancer(missing): want nil, got %v", err)
	}
	if _, err := c.CreateInstance(ctx, "i", cloud.InstanceSpec{FailureDomain: "fd-z"}); err == nil {
		t.Errorf("CreateInstance() in an unknown failure domain: want an error, got none")
	}
	if _, err := c.CreateLoadBalancer(ctx, "lb", cloud.LoadBalancerSpec{}); err == nil {
		t.Errorf("CreateLoadBalancer() with no listener: want an error, got none")
	}
}

// etcdMembers lists the etcd members as KCP does: through a port forward to the etcd pod of node,
// verifying the member's serving certificate with the etcd CA.
func etcdMembers(t *testing.T, ep, node string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := workloadConfig(t, ep, clusterCerts(), clusterCerts())
	cert, key := clientCert(t, clusterCerts(), secret.EtcdCA)
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := etcd.NewClient(ctx, etcd.ClientConfiguration{
		Endpoint:    staticPodName("etcd", node),
		Proxy:       proxy.Proxy{Kind: "pods", Namespace: metav1.NamespaceSystem, KubeConfig: cfg, Port: 2379},
		TLSConfig:   &tls.Config{RootCAs: caPool(t, clusterCerts(), secret.EtcdCA), Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("etcd client through a port forward: %v", err)
	}
	defer func() { _ = ec.Close() }()
	ms, err := ec.Members(ctx)
	if err != nil {
		t.Fatalf("etcd member list: %v", err)
	}
	names := []string{}
	for _, m := range ms {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(DefaultBindAddress, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

// withoutKey is cs with the private key of purpose dropped.
func withoutKey(cs secret.Certificates, purpose secret.Purpose) secret.Certificates {
	out := secret.Certificates{}
	for _, c := range cs {
		cert := *c
		if c.Purpose == purpose {
			kp := *c.KeyPair
			kp.Key = nil
			cert.KeyPair = &kp
		}
		out = append(out, &cert)
	}
	return out
}

func TestVersionFollowsKubeadmConfig(t *testing.T) {
	c := newTestCloud(t, Options{})
	ctx := context.Background()
	_, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)

	// KCP upgrades a cluster by rewriting kubeadm-config with the new version, as here.
	wc := workloadClient(t, ep, clusterCerts())
	cm, err := wc.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, kubeadmConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clusterConfig, extra, err := kubeadmtypes.UnmarshalClusterConfiguration(cm.Data[clusterConfigKey])
	if err != nil {
		t.Fatalf("KCP cannot decode the kubeadm-config ConfigMap: %v", err)
	}
	extra.KubernetesVersion = ptr.To("v1.35.1")
	if cm.Data[clusterConfigKey], err = kubeadmtypes.MarshalClusterConfigurationForVersion(clusterConfig, semver.MustParse("1.35.1"), extra); err != nil {
		t.Fatal(err)
	}
	if _, err := wc.CoreV1().ConfigMaps(metav1.NamespaceSystem).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	v, err := wc.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("v1.35.1", v.GitVersion); diff != "" {
		t.Errorf("GET /version after the upgrade: -want, +got:\n%s", diff)
	}

	// A machine joining now runs the cluster's new version, as kubeadm join reads it.
	if _, err := c.CreateInstance(ctx, "worker", cloud.InstanceSpec{UserData: workerUserData(t, ep)}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "worker", cloud.InstanceStateRunning)
	n, err := wc.CoreV1().Nodes().Get(ctx, "worker", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("v1.35.1", n.Status.NodeInfo.KubeletVersion); diff != "" {
		t.Errorf("kubelet version of a machine joining after the upgrade: -want, +got:\n%s", diff)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := newTestCloud(t, Options{})
	ctx := context.Background()
	_, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	worker := workerUserData(t, ep)

	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := "w-" + strconv.Itoa(i)
			if _, err := c.CreateInstance(ctx, id, cloud.InstanceSpec{UserData: worker}); err != nil {
				t.Error(err)
				return
			}
			_, _ = c.GetInstance(ctx, id)
			// Every other machine is deleted while it may be booting.
			if i%2 == 1 {
				if err := c.DeleteInstance(ctx, id); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i := 0; i < n; i += 2 {
		waitForState(t, c, "w-"+strconv.Itoa(i), cloud.InstanceStateRunning)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)

	// Deleted machines left nothing behind, even those deleted mid-boot.
	time.Sleep(50 * time.Millisecond)
	nodes, err := workloadClient(t, ep, clusterCerts()).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n/2+1, len(nodes.Items)); diff != "" {
		t.Errorf("Nodes: -want, +got:\n%s", diff)
	}
}

// BenchmarkWorkerBoot measures a worker's boot: parsing CABPK's user data and joining its Node,
// with the instance's memory (Node, instance record) reported as B/instance.
func BenchmarkWorkerBoot(b *testing.B) {
	c, err := New(Options{BootDelay: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	ctx := context.Background()
	lb, err := c.CreateLoadBalancer(ctx, "lb", cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP}}})
	if err != nil {
		b.Fatal(err)
	}
	ep := net.JoinHostPort(lb.Host, strconv.Itoa(int(lb.Port)))
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(b, ep, clusterCerts())}); err != nil {
		b.Fatal(err)
	}
	for {
		if i, _ := c.GetInstance(ctx, "cp-0"); i.State == cloud.InstanceStateRunning {
			break
		}
		time.Sleep(time.Millisecond)
	}
	worker := workerUserData(b, ep)

	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	b.ResetTimer()
	for i := range b.N {
		if _, err := c.CreateInstance(ctx, "w-"+strconv.Itoa(i), cloud.InstanceSpec{UserData: worker}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; {
		inst, err := c.GetInstance(ctx, "w-"+strconv.Itoa(i))
		if err != nil {
			b.Fatal(err)
		}
		if inst.State == cloud.InstanceStateFailed {
			b.Fatal(inst.Message)
		}
		if inst.State != cloud.InstanceStateRunning {
			time.Sleep(time.Millisecond)
			continue
		}
		i++
	}
	b.StopTimer()
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/instance")
}

func TestUpdateLoadBalancer(t *testing.T) {
	c := newTestCloud(t, Options{})
	ctx := context.Background()
	lb, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)
	listeners := []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP}}

	cases := map[string]struct {
		reason  string
		spec    cloud.LoadBalancerSpec
		want    []cloud.BackendStatus
		wantErr bool
	}{
		"NoHealthCheck": {
			reason: "With no health check every backend is in service.",
			spec:   cloud.LoadBalancerSpec{Listeners: listeners, Backends: []cloud.Backend{{InstanceID: "cp-0"}, {InstanceID: "gone"}}},
			want:   []cloud.BackendStatus{{Backend: cloud.Backend{InstanceID: "cp-0"}, Healthy: true}, {Backend: cloud.Backend{InstanceID: "gone"}, Healthy: true}},
		},
		"HealthCheck": {
			reason: "With a health check an instance is in service once it runs.",
			spec: cloud.LoadBalancerSpec{
				Listeners:   listeners,
				Backends:    []cloud.Backend{{InstanceID: "cp-0"}, {InstanceID: "gone"}, {Address: "10.9.9.9:6443"}},
				HealthCheck: &cloud.HealthCheck{Protocol: cloud.ProtocolTCP, Port: 6443},
			},
			want: []cloud.BackendStatus{
				{Backend: cloud.Backend{InstanceID: "cp-0"}, Healthy: true},
				{Backend: cloud.Backend{InstanceID: "gone"}},
				{Backend: cloud.Backend{Address: "10.9.9.9:6443"}, Healthy: true},
			},
		},
		"ListenerChanged": {
			reason:  "A listener cannot change: its endpoint is in every kubeconfig.",
			spec:    cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 443, Protocol: cloud.ProtocolTCP}}},
			wantErr: true,
		},
		"FrontendPortChanged": {
			reason:  "The frontend port cannot move.",
			spec:    cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP, FrontendPort: lb.Port + 1}}},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.UpdateLoadBalancer(ctx, "lb", tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nUpdateLoadBalancer(): want error %t, got %v", tc.reason, tc.wantErr, err)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got.Backends); diff != "" {
				t.Errorf("%s\nBackends: -want, +got:\n%s", tc.reason, diff)
			}
			if got.Port != lb.Port {
				t.Errorf("%s\nPort: want %d, got %d", tc.reason, lb.Port, got.Port)
			}
		})
	}
}

func TestInjectedBootFailure(t *testing.T) {
	c := newTestCloud(t, Options{BootDelay: time.Millisecond, BootFailurePercent: 100})
	if _, err := c.CreateInstance(context.Background(), "w-0", cloud.InstanceSpec{CPU: 2}); err != nil {
		t.Fatal(err)
	}
	got := waitForState(t, c, "w-0", cloud.InstanceStateFailed)
	if want := "injected fault: the machine failed to boot (bootFailurePercent 100)"; got.Message != want {
		t.Errorf("failed instance's message: got %q, want %q", got.Message, want)
	}
}

// TestWorkloadAPIVerifiesClients: like kube-apiserver, a workload endpoint serves only clients with
// a certificate of its cluster's CA.
func TestWorkloadAPIVerifiesClients(t *testing.T) {
	c := newTestCloud(t, Options{BootDelay: time.Millisecond})
	_, ep := newTestLoadBalancer(t, c, "lb")
	if _, err := c.CreateInstance(context.Background(), "cp-0", cloud.InstanceSpec{CPU: 2, UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)

	// A raw TLS connection, so the server's alert is what the client reads: with TLS 1.3 the
	// refusal of a client certificate arrives after the client thinks the handshake is done.
	call := func(certs []tls.Certificate) error {
		conn, err := tls.Dial("tcp", ep, &tls.Config{RootCAs: caPool(t, clusterCerts(), secret.ClusterCA), Certificates: certs, MinVersion: tls.VersionTLS12})
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte("GET /version HTTP/1.1\r\nHost: workload\r\n\r\n")); err != nil {
			return err
		}
		_, err = conn.Read(make([]byte, 1))
		return err
	}
	pair := func(cs secret.Certificates) []tls.Certificate {
		cert, key := clientCert(t, cs, secret.ClusterCA)
		p, err := tls.X509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{p}
	}
	for name, certs := range map[string][]tls.Certificate{
		"NoClientCertificate":        nil,
		"AnotherClustersCertificate": pair(otherCerts()),
	} {
		t.Run(name, func(t *testing.T) {
			if err := call(certs); err == nil || !strings.Contains(err.Error(), "tls:") {
				t.Errorf("GET /version: got %v, want the TLS handshake refused for its client certificate", err)
			}
		})
	}
	if err := call(pair(clusterCerts())); err != nil {
		t.Errorf("GET /version with a certificate of the cluster's CA: %v", err)
	}
	if _, err := workloadClient(t, ep, clusterCerts()).Discovery().ServerVersion(); err != nil {
		t.Errorf("GET /version with the cluster's own admin certificate: %v", err)
	}
}

func TestInjectedWorkerDeath(t *testing.T) {
	c := newTestCloud(t, Options{BootDelay: time.Millisecond, WorkerDeathPercent: 100, WorkerLifetime: 300 * time.Millisecond})
	_, ep := newTestLoadBalancer(t, c, "lb")
	ctx := context.Background()
	if _, err := c.CreateInstance(ctx, "cp-0", cloud.InstanceSpec{CPU: 2, UserData: initUserData(t, ep, clusterCerts())}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "cp-0", cloud.InstanceStateRunning)
	if _, err := c.CreateInstance(ctx, "worker-0", cloud.InstanceSpec{CPU: 2, UserData: workerUserData(t, ep)}); err != nil {
		t.Fatal(err)
	}
	waitForState(t, c, "worker-0", cloud.InstanceStateRunning)
	wc := workloadClient(t, ep, clusterCerts())
	nodes := func() int {
		l, err := wc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	if n := nodes(); n != 2 {
		t.Fatalf("Nodes with the worker running: got %d, want 2", n)
	}

	died := waitForState(t, c, "worker-0", cloud.InstanceStateFailed)
	if want := "injected fault: the machine died (workerDeathPercent 100)"; died.Message != want {
		t.Errorf("dead worker's message: got %q, want %q", died.Message, want)
	}
	if n := nodes(); n != 1 {
		t.Errorf("Nodes after the worker died: got %d, want 1, the control plane's", n)
	}
	// Control-plane machines never die of this fault.
	if got, _ := c.GetInstance(ctx, "cp-0"); got.State != cloud.InstanceStateRunning {
		t.Errorf("control plane after the worker died: %s, want Running", got.State)
	}
}
