/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package childproc

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestWatchParent: the watch macOS relies on kills a child's group once the parent is gone, and
// not before. It runs on Linux too, with a stand-in parent.
func TestWatchParent(t *testing.T) {
	start := func() *exec.Cmd {
		cmd := exec.Command("sleep", "60")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		return cmd
	}
	parent, child := start(), start()
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	watchParent(parent.Process.Pid, child.Process.Pid)
	select {
	case err := <-exited:
		t.Fatalf("the child ended while its parent lived: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}

	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Error("the child outlived its parent by 5 s: the watch did not kill its group")
	}
}
