/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/stack"
)

// TestIntegrationUpStopsBehindAClosedPipe runs `capstan up | head`: the reader goes away, then
// Ctrl-C. Writing to the closed pipe must not kill the CLI mid-shutdown, leaving etcd and
// kube-apiserver without a parent.
func TestIntegrationUpStopsBehindAClosedPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane and Crossplane binaries (make tools) and the packages (make build)")
	}
	bin := filepath.Join(t.TempDir(), "capstan")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil { //nolint:gosec // builds this package.
		t.Fatalf("go build: %v\n%s", err, out)
	}
	state := t.TempDir()
	none := filepath.Join(t.TempDir(), "none")
	cmd := exec.Command(bin, "up", "--state-dir="+state, "--packages="+filepath.Join("..", "..", "_output", "xpkg"), //nolint:gosec // the CLI just built.
		"--provider="+none, "--function="+none, "--cloud="+none)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "Up in") {
			break
		}
	}
	st, err := stack.ReadState(state)
	if err != nil || len(st.Processes) == 0 {
		t.Fatalf("state of the running stack: %+v, %v", st, err)
	}

	// The reader is gone: every write the CLI makes from here fails.
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("capstan up did not exit within a minute of Ctrl-C")
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Errorf("capstan up was killed by %v: want it to finish stopping the stack", ws.Signal())
	}
	for _, p := range st.Processes {
		if childproc.Running(p.PID, p.Name) {
			t.Errorf("after capstan up exited: %s (pid %d) still runs", p.Name, p.PID)
			_ = childproc.Terminate(p.PID, p.Name, childproc.StopTimeout)
		}
	}
	if _, err := os.Stat(filepath.Join(state, stack.StateFile)); !os.IsNotExist(err) {
		t.Errorf("after capstan up exited: the state file is still there (%v)", err)
	}
}
