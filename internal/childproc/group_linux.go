/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package childproc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Group returns the attributes of a child that runs in a process group of its own (so a
// terminal's Ctrl-C reaches only this process, which stops it in order) and that the kernel kills
// should this process die without stopping it.
func Group() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// WatchParent does nothing on Linux: Group's Pdeathsig already ends the child with this process.
func WatchParent(int) {}

// Argv0 returns the executable process pid was started with, as its argv[0].
func Argv0(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return "", err
	}
	argv0, _, _ := strings.Cut(string(b), "\x00")
	return argv0, nil
}

// ChildPIDs lists the PIDs of this process's children.
func ChildPIDs() []int {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended.
		}
		for _, field := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(field); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
