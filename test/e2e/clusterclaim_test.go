//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	"github.com/capstan-dev/capstan/internal/plan"
	"github.com/capstan-dev/capstan/internal/stack"
	"github.com/capstan-dev/capstan/internal/timeline"
)

const (
	ns             = "default"
	compositeLabel = "crossplane.io/composite"
	composition    = "clusterclaims.platform.capstan.dev"

	// upgradeTo is the version the lifecycle test upgrades basic.yaml's cluster to. The platform
	// team allows it first, in a new version of its configuration package (capstanUpgrade), as it
	// would in production.
	upgradeTo      = "v1.35.5"
	capstanUpgrade = "v0.2.0"

	readyTimeout   = 5 * time.Minute
	rolloutTimeout = 5 * time.Minute
	deleteTimeout  = 3 * time.Minute
	stuckAfter     = 90 * time.Second
)

// TestClusterClaimLifecycle files examples/clusterclaim/basic.yaml and follows it through its life:
// Ready with a working kubeconfig, a worker pool scaled, a version upgrade, a downgrade refused
// with the cluster kept, deletion. Each step
// needs the one before it, so the first to fail ends the test.
func TestClusterClaimLifecycle(t *testing.T) {
	ctx := context.Background()
	const name = "basic"

	var endpoint string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"ReadyWithWorkingKubeconfig", func(t *testing.T) {
			applied := time.Now()
			if _, err := stack.ApplyInNamespace(ctx, env.kube, filepath.Join(root, "examples", "clusterclaim", "basic.yaml")); err != nil {
				t.Fatalf("apply basic.yaml: %v", err)
			}
			waitClaim(ctx, t, name, readyTimeout, "Ready", ready)
			t.Logf("FIGURE: ClusterClaim %s Ready %s after it was applied (1 control plane + 1 worker)", name, time.Since(applied).Round(time.Second))
			logTimeline(ctx, t, name)

			// NOTE: Cluster API updates a Cluster's Available condition and its replica counts in
			// separate passes, so the counts may trail Ready by a reconcile.
			want := map[string]string{
				"status.version":              "v1.35.4",
				"status.controlPlane.summary": "1/1",
				"status.workers.summary":      "1/1",
			}
			claim := waitClaim(ctx, t, name, time.Minute, fmt.Sprintf("reporting %v", want), func(u *unstructured.Unstructured) bool {
				for field, v := range want {
					if got, _, _ := unstructured.NestedString(u.Object, strings.Split(field, ".")...); got != v {
						return false
					}
				}
				return true
			})
			endpoint, _, _ = unstructured.NestedString(claim.Object, "status", "controlPlaneEndpoint")
			if _, _, err := net.SplitHostPort(endpoint); err != nil {
				t.Errorf("status.controlPlaneEndpoint: got %q, want host:port", endpoint)
			}
			waitNodes(ctx, t, name, 1, 1, readyTimeout)

			// kubectl's table: the columns a real API server gives it.
			out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", workloadKubeconfig(ctx, t, name), "get", "nodes").CombinedOutput() //nolint:gosec // the kubeconfig this test wrote.
			if err != nil {
				t.Fatalf("kubectl get nodes: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if got := strings.Fields(lines[0]); !slices.Equal(got, []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"}) {
				t.Errorf("kubectl get nodes: header %v, want NAME STATUS ROLES AGE VERSION", got)
			}
			if !slices.ContainsFunc(lines[1:], func(l string) bool {
				f := strings.Fields(l)
				return len(f) == 5 && f[1] == "Ready" && f[2] == "control-plane" && f[4] == "v1.35.4"
			}) {
				t.Errorf("kubectl get nodes: want a Ready control-plane Node at v1.35.4, got:\n%s", out)
			}
		}},
		{"ScaleWorkerPool", func(t *testing.T) {
			scale := func(claim *unstructured.Unstructured) {
				workers, _, _ := unstructured.NestedSlice(claim.Object, "spec", "workers")
				workers[0].(map[string]any)["replicas"] = int64(3)
				_ = unstructured.SetNestedSlice(claim.Object, workers, "spec", "workers")
			}
			before := machines(ctx, t, name)
			p := planChange(ctx, t, ns, name, scale)
			wantActions(t, p, map[string]int{plan.Keep: 2, plan.Create: 2})
			patchClaim(ctx, t, name, scale)
			defer waitPlanHappened(ctx, t, ns, name, p, before)
			start := time.Now()
			waitNodes(ctx, t, name, 1, 3, rolloutTimeout)
			t.Logf("FIGURE: worker pool scaled 1 -> 3 Nodes in %s", time.Since(start).Round(time.Second))
			waitClaim(ctx, t, name, readyTimeout, "Ready with 3/3 workers", func(claim *unstructured.Unstructured) bool {
				s, _, _ := unstructured.NestedString(claim.Object, "status", "workers", "summary")
				return ready(claim) && s == "3/3"
			})
		}},
		{"UpgradeCapstanKeepsCluster", func(t *testing.T) {
			before := machineNames(ctx, t, name)
			rev := compositionRevision(getClaim(ctx, t, name))
			start := time.Now()
			left := watchReady(ctx, name)
			upgradeCapstan(ctx, t, capstanUpgrade, upgradeTo)
			waitClaim(ctx, t, name, readyTimeout, "to run the new Composition", func(claim *unstructured.Unstructured) bool {
				return compositionRevision(claim) != rev
			})
			took := time.Since(start)
			// What the new revision composes has been applied by now; give Cluster API a
			// moment to act on anything it changed.
			time.Sleep(5 * time.Second)
			if reason := left(); reason != "" {
				t.Errorf("the claim left Ready during the upgrade of Capstan: %s", reason)
			}
			if after := machineNames(ctx, t, name); !slices.Equal(before, after) {
				t.Errorf("Machines after the upgrade of Capstan: got %v, want the same %v", after, before)
			}
			t.Logf("FIGURE: Capstan upgraded to %s (new Composition run by the claim) in %s; claim kept Ready and its %d Machines",
				capstanUpgrade, took.Round(100*time.Millisecond), len(before))
		}},
		{"UpgradeControlPlaneThenWorkers", func(t *testing.T) {
			// The version Capstan's upgrade allowed is usable.
			upgrade := func(claim *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(claim.Object, upgradeTo, "spec", "version")
			}
			before := machines(ctx, t, name)
			p := planChange(ctx, t, ns, name, upgrade)
			wantActions(t, p, map[string]int{plan.Replace: 4})
			for _, m := range p.Machines {
				if cp := m.Group() == plan.ControlPlane; cp != (m.Step == 1) {
					t.Errorf("planned step %d for %s of %s: want the control plane in step 1, the workers after it", m.Step, m.Name, m.Group())
				}
			}
			defer waitPlanHappened(ctx, t, ns, name, p, before)
			start := time.Now()
			patchClaim(ctx, t, name, upgrade)
			cpDone, firstWorker := watchRollout(ctx, t, name, upgradeTo, 1, 3)
			t.Logf("FIGURE: control plane at %s after %s, first upgraded worker created after %s, all rolled in %s",
				upgradeTo, cpDone.Sub(start).Round(time.Second), firstWorker.Sub(start).Round(time.Second), time.Since(start).Round(time.Second))
			if firstWorker.Before(cpDone) {
				t.Errorf("a worker machine at %s was created (%s) before the control plane finished its upgrade (%s)",
					upgradeTo, firstWorker.Format(time.RFC3339Nano), cpDone.Format(time.RFC3339Nano))
			}
			waitNodes(ctx, t, name, 1, 3, rolloutTimeout)
			waitClaim(ctx, t, name, readyTimeout, "Ready at "+upgradeTo, func(claim *unstructured.Unstructured) bool {
				v, _, _ := unstructured.NestedString(claim.Object, "status", "version")
				return ready(claim) && v == upgradeTo
			})
		}},
		{"DowngradeRefusedClusterKept", func(t *testing.T) {
			before := machineNames(ctx, t, name)
			class, instances := clusterClassUID(ctx, t, name), instanceLaunches(ctx, t, name)
			downgrade := func(claim *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(claim.Object, "v1.35.4", "spec", "version")
			}
			want := "spec.version: cannot downgrade the cluster from " + upgradeTo + " to v1.35.4"
			if p := planChange(ctx, t, ns, name, downgrade); !strings.Contains(p.Refused, want) {
				t.Errorf("plan of a downgrade: refused %q, want the function's %q", p.Refused, want)
			}
			patchClaim(ctx, t, name, downgrade)
			waitClaim(ctx, t, name, time.Minute, "Synced=False naming spec.version", syncedFalse(want))
			// Give core and Cluster API a moment to do anything they should not.
			time.Sleep(3 * time.Second)
			cl := &clusterv1.Cluster{}
			if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: clusterName(ctx, t, name)}, cl); err != nil {
				t.Fatalf("the refused edit lost the Cluster: %v", err)
			}
			if cl.Spec.Topology.Version != upgradeTo {
				t.Errorf("Cluster version after a refused downgrade: got %s, want %s", cl.Spec.Topology.Version, upgradeTo)
			}
			if after := machineNames(ctx, t, name); !slices.Equal(before, after) {
				t.Errorf("a refused downgrade changed the Machines: before %v, after %v", before, after)
			}
			if after := clusterClassUID(ctx, t, name); after != class {
				t.Errorf("a refused downgrade replaced the ClusterClass: uid %s, before %s", after, class)
			}
			if after := instanceLaunches(ctx, t, name); !maps.Equal(instances, after) {
				t.Errorf("a refused downgrade changed the Instances (name: launch time): before %v, after %v", instances, after)
			}
			patchClaim(ctx, t, name, func(claim *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(claim.Object, upgradeTo, "spec", "version")
			})
			waitClaim(ctx, t, name, time.Minute, "Synced and Ready once the edit is undone", func(claim *unstructured.Unstructured) bool {
				return condition(claim, "Synced")["status"] == "True" && ready(claim)
			})
		}},
		{"DeleteLeavesNothing", func(t *testing.T) {
			claim := getClaim(ctx, t, name)
			refs, _, _ := unstructured.NestedSlice(claim.Object, "spec", "crossplane", "resourceRefs")
			if len(refs) == 0 {
				t.Fatalf("spec.crossplane.resourceRefs is empty: nothing recorded as composed")
			}
			start := time.Now()
			if err := env.kube.Delete(ctx, claim); err != nil {
				t.Fatalf("delete claim: %v", err)
			}
			poll(ctx, t, "the claim and every resource it composed to be gone", deleteTimeout, func(ctx context.Context) (bool, error) {
				if err := env.kube.Get(ctx, client.ObjectKeyFromObject(claim), claim.DeepCopy()); !apierrors.IsNotFound(err) {
					return false, client.IgnoreNotFound(err)
				}
				for _, r := range refs {
					if exists(ctx, t, r.(map[string]any)) {
						return false, nil
					}
				}
				return true, nil
			})
			poll(ctx, t, "every Instance and LoadBalancer to be gone", deleteTimeout, func(ctx context.Context) (bool, error) {
				is, lbs := &computev1alpha1.InstanceList{}, &networkv1alpha1.LoadBalancerList{}
				if err := env.kube.List(ctx, is, client.InNamespace(ns)); err != nil {
					return false, err
				}
				if err := env.kube.List(ctx, lbs, client.InNamespace(ns)); err != nil {
					return false, err
				}
				return len(is.Items) == 0 && len(lbs.Items) == 0, nil
			})
			t.Logf("FIGURE: claim and everything it composed deleted in %s", time.Since(start).Round(time.Second))
			if conn, err := net.DialTimeout("tcp", endpoint, time.Second); err == nil {
				_ = conn.Close()
				t.Errorf("the control-plane endpoint %s still accepts connections after deletion", endpoint)
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.Fatalf("step %s failed; the steps after it need it", s.name)
		}
	}
}

// TestInvalidClaims files claims that cannot be honoured and sees each refused clearly.
func TestInvalidClaims(t *testing.T) {
	ctx := context.Background()

	t.Run("RefusedAtAdmission", func(t *testing.T) {
		for name, tc := range map[string]struct {
			spec map[string]any
			want string
		}{
			"even-control-plane": {
				spec: map[string]any{"version": "v1.35.4", "controlPlane": map[string]any{"replicas": int64(2)}},
				want: "control plane replicas must be 1, 3 or 5",
			},
			"host-bits": {
				spec: map[string]any{"version": "v1.35.4", "network": map[string]any{"pods": "10.244.1.0/16"}},
				want: "must have no host bits set",
			},
			"overlap": {
				spec: map[string]any{"version": "v1.35.4", "network": map[string]any{"pods": "10.96.0.0/16", "services": "10.96.0.0/12"}},
				want: "pods and services must not overlap",
			},
		} {
			err := env.kube.Create(ctx, claimObject(name, tc.spec))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("create claim %s: got error %v, want one that says %q", name, err, tc.want)
			}
		}
	})

	t.Run("RefusedByTheFunction", func(t *testing.T) {
		const name = "huge-workers"
		claim := claimObject(name, map[string]any{
			"version": "v1.35.4",
			"workers": []any{map[string]any{"name": "default", "size": "huge", "replicas": int64(1)}},
		})
		if err := env.kube.Create(ctx, claim); err != nil {
			t.Fatalf("create claim: %v", err)
		}
		t.Cleanup(func() { _ = env.kube.Delete(ctx, claim) })
		want := `spec.workers[0].size: unknown size "huge" (allowed: small, medium, large)`
		waitClaim(ctx, t, name, time.Minute, "Synced=False naming the field", syncedFalse(want))
		// Give the function and core a moment to do anything they should not.
		time.Sleep(3 * time.Second)
		claim = getClaim(ctx, t, name)
		if refs, _, _ := unstructured.NestedSlice(claim.Object, "spec", "crossplane", "resourceRefs"); len(refs) != 0 {
			t.Errorf("a refused claim composed %d resources: %v", len(refs), refs)
		}
		clusters := &clusterv1.ClusterList{}
		err := env.kube.List(ctx, clusters, client.InNamespace(ns), client.MatchingLabels{compositeLabel: name})
		if err != nil && !meta.IsNoMatchError(err) { // no Cluster kind, no Clusters.
			t.Fatalf("list Clusters: %v", err)
		}
		if len(clusters.Items) != 0 {
			t.Errorf("a refused claim has %d Clusters", len(clusters.Items))
		}
	})
}

// claimObject is a ClusterClaim in ns with spec.
func claimObject(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// syncedFalse waits for a claim's Synced=False with a message containing want.
func syncedFalse(want string) func(*unstructured.Unstructured) bool {
	return func(claim *unstructured.Unstructured) bool {
		c := condition(claim, "Synced")
		return c["status"] == "False" && strings.Contains(fmt.Sprint(c["message"]), want)
	}
}

func getClaim(ctx context.Context, t testing.TB, name string) *unstructured.Unstructured {
	t.Helper()
	return getClaimIn(ctx, t, ns, name)
}

func getClaimIn(ctx context.Context, t testing.TB, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		t.Fatalf("get ClusterClaim %s/%s: %v", namespace, name, err)
	}
	return u
}

// patchClaim changes a claim, retrying on conflicts with core's own writes.
func patchClaim(ctx context.Context, t *testing.T, name string, change func(*unstructured.Unstructured)) {
	t.Helper()
	patchClaimIn(ctx, t, ns, name, change)
}

func patchClaimIn(ctx context.Context, t *testing.T, namespace, name string, change func(*unstructured.Unstructured)) {
	t.Helper()
	poll(ctx, t, "the claim to take the change", time.Minute, func(ctx context.Context) (bool, error) {
		claim := getClaimIn(ctx, t, namespace, name)
		change(claim)
		err := env.kube.Update(ctx, claim)
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, err
	})
}

// clusterClassUID is the UID of the ClusterClass the claim's Cluster runs.
func clusterClassUID(ctx context.Context, t *testing.T, name string) types.UID {
	t.Helper()
	cl := &clusterv1.Cluster{}
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: clusterName(ctx, t, name)}, cl); err != nil {
		t.Fatal(err)
	}
	cc := &clusterv1.ClusterClass{}
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: cl.Spec.Topology.ClassRef.Name}, cc); err != nil {
		t.Fatalf("ClusterClass of %s: %v", name, err)
	}
	return cc.UID
}

// instanceLaunches maps the Instances of the claim's Cluster to when the cloud launched each.
func instanceLaunches(ctx context.Context, t *testing.T, name string) map[string]string {
	t.Helper()
	l := &computev1alpha1.InstanceList{}
	if err := env.kube.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{clusterv1.ClusterNameLabel: clusterName(ctx, t, name)}); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, i := range l.Items {
		out[i.Name] = fmt.Sprint(i.Status.AtProvider.LaunchTime)
	}
	return out
}

// watchReady samples the claim's Ready condition until the returned function is called, which
// says why the claim was seen not Ready, "" if it never was.
func watchReady(ctx context.Context, name string) func() string {
	ctx, cancel := context.WithCancel(ctx) //nolint:gosec // the returned function cancels it.
	done := make(chan string, 1)
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
			if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err == nil && !ready(u) {
				done <- fmt.Sprint(condition(u, "Ready"))
				return
			}
			select {
			case <-ctx.Done():
				done <- ""
				return
			case <-t.C:
			}
		}
	}()
	return func() string {
		cancel()
		return <-done
	}
}

// waitClaim polls a claim in ns until ok, and returns it.
func waitClaim(ctx context.Context, t *testing.T, name string, timeout time.Duration, what string, ok func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	t.Helper()
	return waitClaimIn(ctx, t, ns, name, timeout, what, ok)
}

// waitClaimIn polls a claim in namespace until ok, and returns it.
func waitClaimIn(ctx context.Context, t *testing.T, namespace, name string, timeout time.Duration, what string, ok func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	t.Helper()
	var last *unstructured.Unstructured
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
		if err := env.kube.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		last = u
		if ok(u) {
			return true, nil
		}
		return false, stuck(u)
	})
	if err != nil {
		conds := "no claim"
		if last != nil {
			c, _, _ := unstructured.NestedSlice(last.Object, "status", "conditions")
			conds = strings.ReplaceAll(strings.TrimSpace(toYAML(c)), "\n", "\n    ")
		}
		t.Fatalf("ClusterClaim %s not %s within %s (%v); its conditions:\n    %s", name, what, timeout, errors.Cause(err), conds)
	}
	return last
}

// stuck fails a wait early when the claim has not synced for stuckAfter: composing takes seconds,
// so an error that lasts that long will not go away by waiting.
func stuck(claim *unstructured.Unstructured) error {
	c := condition(claim, "Synced")
	if c["status"] != "False" {
		return nil
	}
	since, err := time.Parse(time.RFC3339, fmt.Sprint(c["lastTransitionTime"]))
	if err == nil && time.Since(since) >= stuckAfter {
		return errors.Errorf("not synced for %s: %v", time.Since(since).Round(time.Second), c["message"])
	}
	return nil
}

// ready is true of a claim with Ready=True.
func ready(claim *unstructured.Unstructured) bool {
	return condition(claim, "Ready")["status"] == "True"
}

// condition returns the claim's condition of type typ, or an empty one.
func condition(claim *unstructured.Unstructured, typ string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(claim.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return map[string]any{"message": ""}
}

// waitNodes waits until the claim's workload cluster lists cp control-plane and workers worker Nodes,
// through `kubectl get nodes` with the kubeconfig Secret the claim names.
func waitNodes(ctx context.Context, t *testing.T, name string, cp, workers int, timeout time.Duration) {
	t.Helper()
	kubeconfig := workloadKubeconfig(ctx, t, name)
	var got []string
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", kubeconfig, "get", "nodes", "-o", "name").Output() //nolint:gosec // the kubeconfig this test wrote.
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			return false, nil // kubectl ran and failed: the workload API server may be rolling.
		case err != nil:
			return false, errors.Wrap(err, "cannot run kubectl")
		}
		got = strings.Fields(string(out))
		wantCP, wantWorkers := machineNodes(ctx, t, name)
		if len(wantCP) != cp || len(wantWorkers) != workers {
			return false, nil
		}
		var want []string
		for _, n := range append(wantCP, wantWorkers...) {
			want = append(want, "node/"+n)
		}
		slices.Sort(want)
		slices.Sort(got)
		return slices.Equal(got, want), nil
	})
	if err != nil {
		cpNodes, workerNodes := machineNodes(ctx, t, name)
		t.Fatalf("kubectl get nodes: want %d control-plane and %d worker Nodes (Machines' nodeRefs: %v, %v), got %v", cp, workers, cpNodes, workerNodes, got)
	}
}

// workloadKubeconfig writes the kubeconfig Secret the claim names to a file and returns its path.
func workloadKubeconfig(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	claim := getClaim(ctx, t, name)
	secret, _, _ := unstructured.NestedString(claim.Object, "status", "kubeconfigSecretName")
	if secret == "" {
		t.Fatalf("ClusterClaim %s: status.kubeconfigSecretName is empty", name)
	}
	s := &corev1.Secret{}
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, s); err != nil {
		t.Fatalf("get kubeconfig Secret %s: %v", secret, err)
	}
	if _, err := clientcmd.Load(s.Data["value"]); err != nil {
		t.Fatalf("Secret %s: key value is not a kubeconfig: %v", secret, err)
	}
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	if err := os.WriteFile(path, s.Data["value"], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// machineNodes lists the Node names of the claim's control-plane and worker Machines.
func machineNodes(ctx context.Context, t *testing.T, name string) (cp, workers []string) {
	t.Helper()
	for _, m := range machines(ctx, t, name) {
		if m.Status.NodeRef.Name == "" || m.DeletionTimestamp != nil {
			continue
		}
		if _, ok := m.Labels[clusterv1.MachineControlPlaneLabel]; ok {
			cp = append(cp, m.Status.NodeRef.Name)
			continue
		}
		workers = append(workers, m.Status.NodeRef.Name)
	}
	return cp, workers
}

// machineNames lists the names of the claim's Machines, sorted.
func machineNames(ctx context.Context, t *testing.T, name string) []string {
	t.Helper()
	var out []string
	for _, m := range machines(ctx, t, name) {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}

// clusterName is the name of the Cluster composed for the claim.
func clusterName(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	return clusterNameIn(ctx, t, ns, name)
}

func clusterNameIn(ctx context.Context, t *testing.T, namespace, name string) string {
	t.Helper()
	clusters := &clusterv1.ClusterList{}
	if err := env.kube.List(ctx, clusters, client.InNamespace(namespace), client.MatchingLabels{compositeLabel: name}); err != nil {
		t.Fatalf("list Clusters: %v", err)
	}
	if len(clusters.Items) != 1 {
		t.Fatalf("ClusterClaim %s/%s: want 1 composed Cluster, got %d", namespace, name, len(clusters.Items))
	}
	return clusters.Items[0].Name
}

// machines lists the Machines of the Cluster composed for the claim.
func machines(ctx context.Context, t *testing.T, name string) []clusterv1.Machine {
	t.Helper()
	return claimMachines(ctx, t, ns, name)
}

func claimMachines(ctx context.Context, t *testing.T, namespace, name string) []clusterv1.Machine {
	t.Helper()
	ms := &clusterv1.MachineList{}
	if err := env.kube.List(ctx, ms, client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: clusterNameIn(ctx, t, namespace, name)}); err != nil {
		t.Fatalf("list Machines: %v", err)
	}
	return ms.Items
}

// watchRollout follows an upgrade to version until every Machine runs it, and returns when the
// control plane finished (every control-plane Machine at version, the KubeadmControlPlane
// reporting it) and when the first worker Machine at version was created.
func watchRollout(ctx context.Context, t *testing.T, name, version string, cp, workers int) (cpDone, firstWorker time.Time) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, rolloutTimeout, true, func(ctx context.Context) (bool, error) {
		var cpNew, cpOld, wNew, wOld int
		for _, m := range machines(ctx, t, name) {
			_, isCP := m.Labels[clusterv1.MachineControlPlaneLabel]
			switch {
			case isCP && m.Spec.Version == version:
				cpNew++
			case isCP:
				cpOld++
			case m.Spec.Version == version:
				wNew++
				if firstWorker.IsZero() || m.CreationTimestamp.Time.Before(firstWorker) {
					firstWorker = m.CreationTimestamp.Time
				}
			default:
				wOld++
			}
		}
		if cpDone.IsZero() && cpNew == cp && cpOld == 0 && kcpVersion(ctx, t, name) == version {
			cpDone = time.Now()
		}
		return !cpDone.IsZero() && wNew == workers && wOld == 0, nil
	})
	if err != nil {
		t.Fatalf("upgrade to %s did not finish within %s (control plane done: %t)", version, rolloutTimeout, !cpDone.IsZero())
	}
	return cpDone, firstWorker
}

// kcpVersion is the one version every machine of the claim's KubeadmControlPlane reports running.
func kcpVersion(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	kcps := &controlplanev1.KubeadmControlPlaneList{}
	if err := env.kube.List(ctx, kcps, client.InNamespace(ns), client.MatchingLabels{clusterv1.ClusterNameLabel: clusterName(ctx, t, name)}); err != nil {
		t.Fatalf("list KubeadmControlPlanes: %v", err)
	}
	if len(kcps.Items) != 1 || len(kcps.Items[0].Status.Versions) != 1 {
		return "" // none yet, or in the middle of a rollout.
	}
	return kcps.Items[0].Status.Versions[0].Version
}

// toYAML renders v for a failure message.
func toYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// exists reports whether the object a resourceRef names is still there.
func exists(ctx context.Context, t *testing.T, ref map[string]any) bool {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(ref["apiVersion"].(string))
	u.SetKind(ref["kind"].(string))
	err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref["name"].(string)}, u)
	return !apierrors.IsNotFound(err)
}

// poll waits for cond, failing the test with what it waited for.
func poll(ctx context.Context, t testing.TB, what string, timeout time.Duration, cond wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, errors.Cause(err))
	}
}

// logTimeline prints when each stage of the claim's life happened, as capstan status --timeline
// does.
func logTimeline(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	events, err := timeline.Read(ctx, env.kube, ns, name)
	if err != nil {
		t.Fatalf("timeline of %s: %v", name, err)
	}
	var b strings.Builder
	if err := timeline.Print(&b, events); err != nil {
		t.Fatal(err)
	}
	t.Logf("timeline of %s:\n%s", name, b.String())
	for _, stage := range []string{"claim filed", "Cluster created", "load balancer ready", "control-plane node ready", "control plane available", "worker node ready", "claim Ready"} {
		if !slices.ContainsFunc(events, func(e timeline.Event) bool { return e.Stage == stage }) {
			t.Errorf("the timeline of a Ready claim has no stage %q", stage)
		}
	}
}
