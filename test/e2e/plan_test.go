//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/capstan-dev/capstan/internal/plan"
)

// planNamespace keeps TestPlanWorkerPools's claim apart from the serial tests, which count
// what is left in theirs.
const planNamespace = "plan"

// TestPlanWorkerPools plans each change to a claim's worker pools, applies it, and checks that
// Cluster API did to every machine what the plan said: a pool's labels changed, a pool added, a
// pool removed. The lifecycle test does the same for scaling, a version upgrade and a refused
// downgrade.
func TestPlanWorkerPools(t *testing.T) {
	// NOTE: runs beside the other parallel tests, after every serial one, in its own namespace.
	t.Parallel()
	ctx := context.Background()
	const name = "pools"
	if err := env.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: planNamespace}}); err != nil {
		t.Fatal(err)
	}
	claim := claimObject(name, map[string]any{
		"version": "v1.35.4",
		"workers": []any{map[string]any{"name": "default", "replicas": int64(1)}},
	})
	claim.SetNamespace(planNamespace)
	t.Run("NewClaimCreates", func(t *testing.T) {
		p := makePlan(ctx, t, claim.DeepCopy())
		if p.Action != plan.ClaimCreate {
			t.Errorf("plan of a new claim: action %s, want %s", p.Action, plan.ClaimCreate)
		}
		wantActions(t, p, map[string]int{plan.Create: 2})
	})
	t.Run("CLI", func(t *testing.T) {
		// The command a developer runs: the file, its namespace from -n, JSON out.
		file := claim.DeepCopy()
		file.SetNamespace("")
		out, err := capstanPlan(ctx, t, file, "-n", planNamespace, "-o", "json")
		if err != nil {
			t.Fatalf("capstan plan: %v\n%s", err, out)
		}
		p := &plan.Plan{}
		if err := json.Unmarshal([]byte(out), p); err != nil {
			t.Fatalf("capstan plan -o json: %v\n%s", err, out)
		}
		if p.Claim != planNamespace+"/"+name || p.Action != plan.ClaimCreate {
			t.Errorf("capstan plan -o json: claim %s action %s, want %s/%s create", p.Claim, p.Action, planNamespace, name)
		}
		wantActions(t, p, map[string]int{plan.Create: 2})

		// A claim the function refuses: the error names the field, and the command fails.
		_ = unstructured.SetNestedSlice(file.Object, []any{map[string]any{"name": "default", "replicas": int64(1), "size": "huge"}}, "spec", "workers")
		out, err = capstanPlan(ctx, t, file, "-n", planNamespace, "-o", "markdown")
		if want := `**Refused:** spec.workers[0].size: unknown size "huge"`; err == nil || !strings.Contains(out, want) {
			t.Errorf("capstan plan of an unknown size: error %v, want exit 1 and %q in:\n%s", err, want, out)
		}
	})
	if err := env.kube.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.kube.Delete(context.Background(), claim) })
	waitClaimIn(ctx, t, planNamespace, name, readyTimeout, "Ready", ready)

	pools := func(ps ...any) func(*unstructured.Unstructured) {
		return func(c *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(c.Object, ps, "spec", "workers")
		}
	}
	labelled := map[string]any{"name": "default", "replicas": int64(1), "labels": map[string]any{"tier": "web"}}
	for _, c := range []struct {
		name   string
		change func(*unstructured.Unstructured)
		want   func(t *testing.T, p *plan.Plan)
	}{
		{"PoolLabelsChanged", pools(labelled), func(t *testing.T, p *plan.Plan) {
			// The labels reach the kubelet's --node-labels, a new KubeadmConfigTemplate: a rollout.
			wantActions(t, p, map[string]int{plan.Keep: 1, plan.Replace: 1})
		}},
		{"PoolAdded", pools(labelled, map[string]any{"name": "batch", "replicas": int64(2)}), func(t *testing.T, p *plan.Plan) {
			wantActions(t, p, map[string]int{plan.Keep: 2, plan.Create: 2})
		}},
		{"PoolRemoved", pools(labelled), func(t *testing.T, p *plan.Plan) {
			wantActions(t, p, map[string]int{plan.Keep: 2, plan.Delete: 2})
		}},
	} {
		ok := t.Run(c.name, func(t *testing.T) {
			before := claimMachines(ctx, t, planNamespace, name)
			p := planChange(ctx, t, planNamespace, name, c.change)
			c.want(t, p)
			patchClaimIn(ctx, t, planNamespace, name, c.change)
			waitPlanHappened(ctx, t, planNamespace, name, p, before)
			waitClaimIn(ctx, t, planNamespace, name, readyTimeout, "Ready", ready)
		})
		if !ok {
			t.Fatalf("step %s failed; the steps after it need it", c.name)
		}
	}
}

// planChange plans the claim as change leaves it, as capstan plan -f does with a file, and
// checks that planning changed nothing: no generation of the claim or its Cluster API objects.
func planChange(ctx context.Context, t *testing.T, namespace, name string, change func(*unstructured.Unstructured)) *plan.Plan {
	t.Helper()
	live := getClaimIn(ctx, t, namespace, name)
	file := &unstructured.Unstructured{Object: map[string]any{"spec": live.Object["spec"]}}
	file.SetGroupVersionKind(live.GroupVersionKind())
	file.SetNamespace(namespace)
	file.SetName(name)
	file = file.DeepCopy()
	change(file)

	before := generations(ctx, t, namespace, name)
	p := makePlan(ctx, t, file)
	if after := generations(ctx, t, namespace, name); !maps.Equal(before, after) {
		t.Errorf("planning changed the plane: generations before %v, after %v", before, after)
	}
	return p
}

// makePlan plans the claim in file and logs the plan.
func makePlan(ctx context.Context, t *testing.T, file *unstructured.Unstructured) *plan.Plan {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", env.stack.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err := plan.Make(ctx, cfg, file)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	t.Logf("FIGURE: plan of %s/%s made in %s", file.GetNamespace(), file.GetName(), time.Since(start).Round(time.Millisecond))
	var b strings.Builder
	_ = p.WriteText(&b)
	t.Logf("plan:\n%s", b.String())
	return p
}

// generations are the generations of the claim, its Cluster, control plane and
// MachineDeployments: any change to their spec moves them.
func generations(ctx context.Context, t *testing.T, namespace, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{"ClusterClaim": getClaimIn(ctx, t, namespace, name).GetGeneration()}
	sel := []client.ListOption{client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: clusterNameIn(ctx, t, namespace, name)}}
	for _, l := range []client.ObjectList{&clusterv1.MachineDeploymentList{}, &controlplanev1.KubeadmControlPlaneList{}} {
		if err := env.kube.List(ctx, l, sel...); err != nil {
			t.Fatal(err)
		}
		switch l := l.(type) {
		case *clusterv1.MachineDeploymentList:
			for _, o := range l.Items {
				out["MachineDeployment/"+o.Name] = o.Generation
			}
		case *controlplanev1.KubeadmControlPlaneList:
			for _, o := range l.Items {
				out["KubeadmControlPlane/"+o.Name] = o.Generation
			}
		}
	}
	cl := &clusterv1.Cluster{}
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: namespace, Name: clusterNameIn(ctx, t, namespace, name)}, cl); err != nil {
		t.Fatal(err)
	}
	out["Cluster"] = cl.Generation
	return out
}

// wantActions checks how many machines the plan gives each action, counting unnamed ones.
func wantActions(t *testing.T, p *plan.Plan, want map[string]int) {
	t.Helper()
	if p.Refused != "" {
		t.Fatalf("plan refused: %s", p.Refused)
	}
	got := map[string]int{}
	for _, m := range p.Machines {
		got[m.Action] += max(m.Count, 1)
	}
	if !maps.Equal(got, want) {
		t.Errorf("planned machines by action: got %v, want %v", got, want)
	}
}

// waitPlanHappened waits until the claim's machines are what the plan said, given the machines
// before the change: kept and changed-in-place ones still there, replaced and deleted ones gone,
// as many new machines per owner as it replaces and creates, and each step's new machines made
// no earlier than the step before's.
func waitPlanHappened(ctx context.Context, t *testing.T, namespace, name string, p *plan.Plan, before []clusterv1.Machine) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, time.Second, rolloutTimeout, true, func(ctx context.Context) (bool, error) {
		last = planHappened(p, before, claimMachines(ctx, t, namespace, name))
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("what happened is not what the plan said: %v", last)
	}
}

func planHappened(p *plan.Plan, before, after []clusterv1.Machine) error {
	had := map[string]bool{}
	for _, m := range before {
		had[m.Name] = true
	}
	has := map[string]bool{}
	added := map[string][]clusterv1.Machine{}
	for _, m := range after {
		has[m.Name] = true
		if !had[m.Name] {
			added[groupOf(m)] = append(added[groupOf(m)], m)
		}
	}
	planned := map[string]bool{}
	wantNew := map[string]int{}
	firstNew := map[int]time.Time{}
	for _, m := range p.Machines {
		planned[m.Name] = true
		switch {
		case m.Name == "" && m.Action == plan.Create:
			wantNew[m.Group()] += m.Count
		case m.Name == "":
		case (m.Action == plan.Keep || m.Action == plan.InPlace) && !has[m.Name]:
			return fmt.Errorf("machine %s was to be kept (%s), and is gone", m.Name, m.Action)
		case (m.Action == plan.Replace || m.Action == plan.Delete) && has[m.Name]:
			return fmt.Errorf("machine %s was to be %sd, and is still there", m.Name, m.Action)
		case m.Action == plan.Replace:
			wantNew[m.Group()]++
		}
	}
	for name := range had {
		if !planned[name] {
			return fmt.Errorf("the plan does not say what happens to machine %s", name)
		}
	}
	for group, n := range wantNew {
		if len(added[group]) != n {
			return fmt.Errorf("%s: %d new machines, the plan said %d", group, len(added[group]), n)
		}
	}
	for _, m := range p.Machines {
		for _, a := range added[m.Group()] {
			if t := firstNew[m.Step]; t.IsZero() || a.CreationTimestamp.Time.Before(t) {
				firstNew[m.Step] = a.CreationTimestamp.Time
			}
		}
	}
	for s := 2; firstNew[s] != (time.Time{}); s++ {
		if firstNew[s].Before(firstNew[s-1]) {
			return fmt.Errorf("step %d's first new machine (%s) came before step %d's (%s)", s, firstNew[s], s-1, firstNew[s-1])
		}
	}
	return nil
}

// groupOf is a machine's pool, or the control plane, as a plan groups them.
func groupOf(m clusterv1.Machine) string {
	if _, cp := m.Labels[clusterv1.MachineControlPlaneLabel]; cp {
		return plan.ControlPlane
	}
	return m.Labels[clusterv1.ClusterTopologyMachineDeploymentNameLabel]
}

// capstanPlan runs the capstan CLI's plan on claim, written to a file, and returns its output.
func capstanPlan(ctx context.Context, t *testing.T, claim *unstructured.Unstructured, args ...string) (string, error) {
	t.Helper()
	b, err := yaml.Marshal(claim.Object)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "claim.yaml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"plan", "-f", f, "--kubeconfig", env.stack.Kubeconfig}, args...)
	out, err := exec.CommandContext(ctx, filepath.Join(env.bin, "capstan"), args...).Output() //nolint:gosec // the CLI this test built.
	return string(out), err
}
