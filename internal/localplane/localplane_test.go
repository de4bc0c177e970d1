/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package localplane

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestIntegrationPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane binaries (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	p, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Stop() })

	// The kubeconfig on disk works, as kubectl would use it.
	cfg, err := clientcmd.BuildConfigFromFlags("", p.KubeconfigPath)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", p.KubeconfigPath, err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatalf("client: %v", err)
	}

	t.Run("OwnedObjectIsGarbageCollected", func(t *testing.T) {
		owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "owner"}}
		if err := c.Create(ctx, owner); err != nil {
			t.Fatalf("create owner: %v", err)
		}
		owned := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: "owned",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
		}}
		if err := c.Create(ctx, owned); err != nil {
			t.Fatalf("create owned: %v", err)
		}
		if err := c.Delete(ctx, owner); err != nil {
			t.Fatalf("delete owner: %v", err)
		}
		waitGone(ctx, t, c, owned)
	})

	t.Run("NamespaceFinishesDeleting", func(t *testing.T) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}
		if err := c.Create(ctx, ns); err != nil {
			t.Fatalf("create namespace: %v", err)
		}
		inside := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "inside"}}
		if err := c.Create(ctx, inside); err != nil {
			t.Fatalf("create object in namespace: %v", err)
		}
		if err := c.Delete(ctx, ns); err != nil {
			t.Fatalf("delete namespace: %v", err)
		}
		waitGone(ctx, t, c, ns)
	})

	t.Run("StopLeavesNothingRunning", func(t *testing.T) {
		dir, host := p.dir, p.Host()
		if got := childProcesses(t); len(got) != 3 {
			t.Errorf("before Stop: want etcd, kube-apiserver and kube-controller-manager as children, got %v", got)
		}
		if err := p.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if got := childProcesses(t); len(got) != 0 {
			t.Errorf("after Stop: child processes still running: %v", got)
		}
		u, err := url.Parse(host)
		if err != nil {
			t.Fatalf("parse %q: %v", host, err)
		}
		if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("after Stop: %s still accepts connections", u.Host)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("after Stop: directory %s still exists (stat: %v)", dir, err)
		}
	})
}

func TestStartWithoutAssets(t *testing.T) {
	t.Setenv(AssetsEnv, "")
	_, err := Start(context.Background(), Options{AssetsDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Errorf("Start with an empty assets directory: want an error that says to run make tools, got %v", err)
	}
}

// waitGone polls until obj no longer exists.
func waitGone(ctx context.Context, t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("%s %q still exists: %v", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
	}
}

// childProcesses lists the command names of this process's direct children.
func childProcesses(t *testing.T) []string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended.
		}
		for _, pid := range strings.Fields(string(b)) {
			comm, err := os.ReadFile(filepath.Join("/proc", pid, "comm"))
			if err != nil {
				continue // already reaped.
			}
			names = append(names, strings.TrimSpace(string(comm)))
		}
	}
	return names
}

// BenchmarkIntegrationStart measures how long a management plane takes to answer, from nothing
// running to etcd, kube-apiserver and kube-controller-manager all healthy. Stop is not timed.
func BenchmarkIntegrationStart(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the management plane binaries (make tools)")
	}
	for b.Loop() {
		p, err := Start(context.Background(), Options{})
		if err != nil {
			b.Fatalf("Start: %v", err)
		}
		b.StopTimer()
		if err := p.Stop(); err != nil {
			b.Fatalf("Stop: %v", err)
		}
		b.StartTimer()
	}
}
