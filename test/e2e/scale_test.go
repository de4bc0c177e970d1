//go:build e2e && scale

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	"github.com/capstan-dev/capstan/internal/stack"
	"github.com/capstan-dev/capstan/internal/timeline"
)

var (
	scaleClaims      = flag.Int("scale.claims", 25, "How many ClusterClaims the scale test files at once.")
	scaleSharedClass = flag.Bool("scale.shared-class", false, "File claims of the platform's shared ClusterClass (examples/platform/standard-class.yaml), which compose only a Cluster, rather than claims with a class of their own.")
)

// settle is how long the scale test lets the stack run with every cluster Ready before it reads
// each process's memory: long enough for a garbage collection and the clusters' first health
// checks.
const settle = 20 * time.Second

// TestScale files N claims (1 control plane + 1 worker each, the default provider config) at
// once and reports how fast they become Ready and what each cluster costs in memory, per process
// of the stack; then it deletes them all. Run it with `make bench-scale` (SCALE_CLAIMS=N), not
// part of `make test`.
func TestScale(t *testing.T) {
	ctx := context.Background()
	n := *scaleClaims
	before, cpuBefore, queuesBefore := residentKiB(), cpuTime(), controllerQueues(ctx, t)

	spec := map[string]any{
		"version": "v1.35.4",
		"workers": []any{map[string]any{"name": "pool", "replicas": int64(1)}},
	}
	if *scaleSharedClass {
		if _, err := stack.ApplyInNamespace(ctx, env.kube, filepath.Join(root, "examples", "platform", "standard-class.yaml")); err != nil {
			t.Fatalf("apply the shared ClusterClass: %v", err)
		}
		spec = map[string]any{
			"version":  "v1.34.3",
			"classRef": map[string]any{"name": "capstan-standard", "namespace": "capstan-platform"},
			"workers":  []any{map[string]any{"name": "pool", "class": "standard-worker", "replicas": int64(1)}},
		}
	}

	names := make([]string, n)
	filed := time.Now()
	for i := range names {
		names[i] = fmt.Sprintf("scale-%03d", i)
		claim := claimObject(names[i], spec)
		if err := env.kube.Create(ctx, claim); err != nil {
			t.Fatalf("create ClusterClaim %s: %v", names[i], err)
		}
	}
	peaks := watchRSS()
	readyAfter := waitAllReady(ctx, t, names, filed, readyTimeout+time.Duration(n)*5*time.Second)
	time.Sleep(settle)
	with, cpuWith, queuesWith := residentKiB(), cpuTime(), controllerQueues(ctx, t)
	peak := peaks()

	allReady := readyAfter[len(readyAfter)-1]
	t.Logf("SCALE: %d claims filed at once: first Ready after %s, half after %s, all after %s; %.1f claims Ready per minute",
		n, readyAfter[0].Round(time.Second), readyAfter[len(readyAfter)/2].Round(time.Second), allReady.Round(time.Second),
		float64(n)/allReady.Minutes())
	var total float64
	for _, name := range slices.Sorted(maps.Keys(with)) {
		perCluster := float64(with[name]-before[name]) / 1024 / float64(n)
		total += perCluster
		t.Logf("SCALE: %s RSS %d MiB before, %d MiB with %d clusters (%.1f MiB per cluster)", name, before[name]/1024, with[name]/1024, n, perCluster)
	}
	t.Logf("SCALE: %.1f MiB per cluster across the stack's processes", total)
	for _, name := range slices.Sorted(maps.Keys(cpuWith)) {
		t.Logf("SCALE: %s CPU %s from filing to all Ready", name, (cpuWith[name] - cpuBefore[name]).Round(time.Second))
	}
	for _, p := range peak {
		t.Logf("SCALE: peak RSS %s %d MiB", p.name, p.kib/1024)
	}

	logStages(ctx, t, names)
	logQueues(t, queuesBefore, queuesWith)
	if *auditLog != "" {
		logRequests(t, *auditLog, 30)
	}

	deleted := time.Now()
	for _, name := range names {
		_ = env.kube.Delete(ctx, claimObject(name, nil))
	}
	poll(ctx, t, "every scale claim to be gone", deleteTimeout+time.Duration(n)*3*time.Second, func(ctx context.Context) (bool, error) {
		claims, err := listClaims(ctx, names)
		return err == nil && len(claims) == 0, nil
	})
	t.Logf("SCALE: all %d claims gone %s after deleting", n, time.Since(deleted).Round(time.Second))
}

// waitAllReady waits until every named claim is Ready and returns how long after filed each
// became so, soonest first.
func waitAllReady(ctx context.Context, t *testing.T, names []string, filed time.Time, timeout time.Duration) []time.Duration {
	t.Helper()
	readyAt := map[string]time.Duration{}
	deadline := filed.Add(timeout)
	for len(readyAt) < len(names) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d claims Ready within %s", len(readyAt), len(names), timeout)
		}
		claims, err := listClaims(ctx, names)
		if err != nil {
			// NOTE: a loaded API server may drop a request now and then; the next look will do.
			t.Logf("list ClusterClaims: %v", err)
		}
		for _, c := range claims {
			if _, seen := readyAt[c.GetName()]; !seen && ready(&c) {
				readyAt[c.GetName()] = time.Since(filed)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	out := make([]time.Duration, 0, len(readyAt))
	for _, d := range readyAt {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// listClaims lists the named claims that exist in ns.
func listClaims(ctx context.Context, names []string) ([]unstructured.Unstructured, error) {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind.GroupVersion().WithKind("ClusterClaimList"))
	if err := env.kube.List(ctx, l, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(l.Items, func(c unstructured.Unstructured) bool { return !slices.Contains(names, c.GetName()) }), nil
}

// residentKiB is the resident memory of each of the stack's processes now, by process name.
func residentKiB() map[string]int {
	out := map[string]int{}
	for _, p := range stack.Children() {
		out[p.Name] += rssKiB(p.PID)
	}
	return out
}

// logStages prints, for each stage of a claim's time line, when the claims reached it after they
// were filed: the median and the slowest. Where the median jumps is where the claims queue.
func logStages(ctx context.Context, t *testing.T, names []string) {
	t.Helper()
	after := map[string][]time.Duration{}
	for _, name := range names {
		events, err := timeline.Read(ctx, env.kube, ns, name)
		if err != nil {
			t.Fatalf("timeline of %s: %v", name, err)
		}
		seen := map[string]bool{}
		for _, e := range events {
			if !seen[e.Stage] {
				seen[e.Stage] = true
				after[e.Stage] = append(after[e.Stage], e.At.Sub(events[0].At))
			}
		}
	}
	type stage struct {
		name          string
		median, worst time.Duration
	}
	var stages []stage
	for name, d := range after {
		slices.Sort(d)
		stages = append(stages, stage{name, d[len(d)/2], d[len(d)-1]})
	}
	sort.Slice(stages, func(i, j int) bool { return stages[i].median < stages[j].median })
	for _, st := range stages {
		t.Logf("SCALE: stage %-40s median %5s, slowest %5s", st.name, st.median, st.worst)
	}
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on Linux).
const clockTicks = 100

// cpuTime is the CPU time each of the stack's processes has used so far (user and system, from
// /proc; Linux only), by process name.
func cpuTime() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, p := range stack.Children() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command name (which may hold spaces) start at state, field 3.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		utime, _ := strconv.Atoi(fields[11])
		stime, _ := strconv.Atoi(fields[12])
		out[p.Name] += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out
}

// queue is what a controller has done: reconciles, and the seconds its requests waited in its
// work queue and spent being reconciled.
type queue struct{ reconciles, waited, busy float64 }

// controllerQueues reads every controller's queue from the metrics of the provider
// (controller-runtime keeps them for the bundled Cluster API controllers too) and of Crossplane
// core (whose controller of a claim's kind is named composite/<plural>.<group>).
func controllerQueues(ctx context.Context, t *testing.T) map[string]queue {
	t.Helper()
	out := map[string]queue{}
	for _, url := range []string{env.stack.ProviderMetrics(), env.stack.CoreMetrics()} {
		addQueues(out, metrics(ctx, t, url))
	}
	return out
}

// addQueues adds the controllers' queues in families to out.
func addQueues(out map[string]queue, families map[string]*dto.MetricFamily) {
	add := func(family, label string, f func(*queue, *dto.Metric)) {
		for _, m := range families[family].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					q := out[l.GetValue()]
					f(&q, m)
					out[l.GetValue()] = q
				}
			}
		}
	}
	add("controller_runtime_reconcile_total", "controller", func(q *queue, m *dto.Metric) { q.reconciles += m.GetCounter().GetValue() })
	add("controller_runtime_reconcile_time_seconds", "controller", func(q *queue, m *dto.Metric) { q.busy += m.GetHistogram().GetSampleSum() })
	add("workqueue_queue_duration_seconds", "name", func(q *queue, m *dto.Metric) { q.waited += m.GetHistogram().GetSampleSum() })
}

// logQueues prints what each busy controller did between two readings, those whose requests
// waited longest first.
func logQueues(t *testing.T, before, after map[string]queue) {
	t.Helper()
	names := slices.SortedFunc(maps.Keys(after), func(a, b string) int {
		return cmp.Compare(after[b].waited-before[b].waited, after[a].waited-before[a].waited)
	})
	for _, name := range names {
		d := queue{after[name].reconciles - before[name].reconciles, after[name].waited - before[name].waited, after[name].busy - before[name].busy}
		if d.reconciles < 1 {
			continue
		}
		t.Logf("SCALE: controller %-32s %6.0f reconciles, waited %6.3fs and took %6.3fs each on average",
			name, d.reconciles, d.waited/d.reconciles, d.busy/d.reconciles)
	}
}
