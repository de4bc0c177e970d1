/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package childproc

import (
	"fmt"
	"os/exec"
	"syscall"
)

// watchParent starts a small shell, in a process group of its own, that kills process group pgid
// once process parent is gone: what the kernel does with Pdeathsig on Linux, for systems without
// it (macOS). It ends by itself once the group is gone. Kept out of the platform files so that
// its test runs on Linux too.
func watchParent(parent, pgid int) {
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null && kill -0 -%d 2>/dev/null; do sleep 1; done; kill -KILL -%d 2>/dev/null", parent, pgid, pgid)
	cmd := exec.Command("/bin/sh", "-c", script) //nolint:gosec // PIDs, not input.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return // nothing better to do: the recorded-PID clean-up of the next run remains.
	}
	go func() { _ = cmd.Wait() }()
}
