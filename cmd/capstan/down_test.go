/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/stack"
)

// TestCleanUp stands in for an 'up' that died: its children and plane directory are left behind.
func TestCleanUp(t *testing.T) {
	leftover := exec.Command("sleep", "60")
	if err := leftover.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = leftover.Wait(); close(done) }()
	// A recorded PID that now runs something else (it was recycled) must be left alone.
	bystander := exec.Command("sleep", "60")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bystander.Process.Kill(); _ = bystander.Wait() })

	// NOTE: right after Start, /proc may still show the test binary's argv until exec completes.
	for _, p := range []*exec.Cmd{leftover, bystander} {
		deadline := time.Now().Add(5 * time.Second)
		for !childproc.Running(p.Process.Pid, "sleep") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}

	state := t.TempDir()
	plane := filepath.Join(t.TempDir(), planeDirPrefix+"123")
	if err := os.MkdirAll(plane, 0o700); err != nil {
		t.Fatal(err)
	}
	st := stack.State{
		PID: 1 << 22, Executable: "capstan", Kubeconfig: filepath.Join(plane, "kubeconfig"),
		Processes: []stack.Process{{Name: "sleep", PID: leftover.Process.Pid}, {Name: "etcd", PID: bystander.Process.Pid}},
	}
	if err := stack.WriteState(state, st); err != nil {
		t.Fatal(err)
	}

	if err := cleanUp(io.Discard, state, st); err != nil {
		t.Fatalf("cleanUp: %v", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("cleanUp left the recorded process %d running", leftover.Process.Pid)
	}
	if !childproc.Running(bystander.Process.Pid, "sleep") {
		t.Errorf("cleanUp stopped process %d, which runs sleep, not the etcd recorded for that PID", bystander.Process.Pid)
	}
	if _, err := os.Stat(plane); !os.IsNotExist(err) {
		t.Errorf("cleanUp left the plane directory %s (stat: %v)", plane, err)
	}
	if _, err := stack.ReadState(state); !os.IsNotExist(err) {
		t.Errorf("cleanUp left the state file (read: %v)", err)
	}
}
