//go:build e2e && soak

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

var soakClaims = flag.Int("soak.claims", 20, "How many ClusterClaims the soak files at once.")

// The soak's schedule of faults, from the moment the claims are filed.
var (
	killProvider = []time.Duration{10 * time.Second, 40 * time.Second}
	killCore     = 25 * time.Second
)

// TestSoak files N claims at once on a cloud that refuses 10% of creations and deletions, kills
// the provider twice and Crossplane core once while they provision, then deletes every claim. It
// reports how long each phase took and counts what went wrong; every count must be 0:
//   - leaked: cloud machines and load balancers left once every claim is gone;
//   - duplicated: Instances whose cloud machine was launched a second time;
//   - lost: claims that never became Ready, or never went away.
//
// Run it with `make soak` (SOAK_CLAIMS=N), not part of `make test`.
func TestSoak(t *testing.T) {
	ctx := context.Background()
	n := *soakClaims
	before := cloudInventory(ctx, t)
	soak := ownCloud(ctx, t, "soak", 27000, v1alpha1.InMemoryFaults{CreateErrorPercent: 10, DeleteErrorPercent: 10})

	rss := watchRSS()
	launches := watchLaunches()
	names := make([]string, n)
	filed := time.Now()
	for i := range names {
		names[i] = fmt.Sprintf("soak-%03d", i)
		claim := claimObject(names[i], map[string]any{
			"version":           "v1.35.4",
			"workers":           []any{map[string]any{"name": "pool", "replicas": int64(1)}},
			"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": soak.Name},
		})
		if err := env.kube.Create(ctx, claim); err != nil {
			t.Fatalf("create ClusterClaim %s: %v", names[i], err)
		}
	}
	go chaos(t, filed)

	lost := 0
	deadline := filed.Add(readyTimeout + time.Duration(n)*5*time.Second)
	for _, name := range names {
		for !claimReady(ctx, name) && time.Now().Before(deadline) {
			time.Sleep(time.Second)
		}
		if !claimReady(ctx, name) {
			lost++
			t.Errorf("ClusterClaim %s never became Ready", name)
		}
	}
	allReady := time.Since(filed)

	deleted := time.Now()
	for _, name := range names {
		_ = env.kube.Delete(ctx, claimObject(name, nil))
	}
	gone := 0
	deadline = deleted.Add(deleteTimeout + time.Duration(n)*3*time.Second)
	for gone < n && time.Now().Before(deadline) {
		gone = 0
		for _, name := range names {
			if apierrors.IsNotFound(env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, claimObject(name, nil))) {
				gone++
			}
		}
		time.Sleep(time.Second)
	}
	lost += n - gone
	// The claims go first; their composed resources, machines and load balancers after them.
	var left inventory
	for time.Now().Before(deadline) {
		if left = cloudInventory(ctx, t); left == before {
			break
		}
		time.Sleep(time.Second)
	}
	allGone := time.Since(deleted)
	leaked := int(left.instances-before.instances) + int(left.loadBalancers-before.loadBalancers)
	duplicated := launches()
	peaks := rss()

	t.Logf("SOAK: %d claims, 10%% create/delete errors, provider killed at %v, core at %v", n, killProvider, killCore)
	t.Logf("SOAK: all Ready %s after filing; all gone, the cloud as before, %s after deleting", allReady.Round(time.Second), allGone.Round(time.Second))
	t.Logf("SOAK: leaked %d, duplicated %d, lost %d", leaked, duplicated, lost)
	for _, c := range env.stack.Components() {
		t.Logf("SOAK: %s restarted %d times", c.Name, c.Restarts)
	}
	for _, p := range peaks {
		t.Logf("SOAK: peak RSS %s %d MiB", p.name, p.kib/1024)
	}
	if leaked != 0 || duplicated != 0 || lost != 0 {
		t.Errorf("leaked %d, duplicated %d, lost %d: want 0 each", leaked, duplicated, lost)
	}
}

// chaos kills the provider and Crossplane core on the soak's schedule; the stack starts them again.
func chaos(t *testing.T, start time.Time) {
	kill := func(name string) {
		for _, c := range env.stack.Components() {
			if c.Name == name {
				_ = syscall.Kill(c.PID, syscall.SIGKILL)
				t.Logf("SOAK: killed %s (pid %d) %s after filing", name, c.PID, time.Since(start).Round(time.Second))
			}
		}
	}
	events := map[time.Duration]string{killCore: "crossplane"}
	for _, d := range killProvider {
		events[d] = "provider"
	}
	at := make([]time.Duration, 0, len(events))
	for d := range events {
		at = append(at, d)
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	for _, d := range at {
		time.Sleep(time.Until(start.Add(d)))
		kill(events[d])
	}
}

func claimReady(ctx context.Context, name string) bool {
	u := claimObject(name, nil)
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return false
	}
	return ready(u)
}

// watchLaunches follows every Instance's cloud launch time until the returned function is
// called, which counts the Instances whose machine was launched more than once.
func watchLaunches() func() int {
	var mu sync.Mutex
	seen, twice := map[string]string{}, map[string]bool{}
	stop := make(chan struct{})
	go func() {
		for {
			l := &computev1alpha1.InstanceList{}
			if err := env.kube.List(context.Background(), l); err == nil {
				mu.Lock()
				for _, i := range l.Items {
					lt := i.Status.AtProvider.LaunchTime
					if lt == nil {
						continue
					}
					key, at := string(i.UID), lt.UTC().String()
					if prev, ok := seen[key]; ok && prev != at {
						twice[key] = true
					}
					seen[key] = at
				}
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return func() int {
		close(stop)
		mu.Lock()
		defer mu.Unlock()
		return len(twice)
	}
}
