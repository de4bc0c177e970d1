//go:build !linux

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package childproc

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Group returns the attributes of a child that runs in a process group of its own, so a
// terminal's Ctrl-C reaches only this process, which stops it in order. Without Linux's
// Pdeathsig, WatchParent ends the group should this process die without stopping it.
func Group() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// WatchParent kills process group pgid once this process is gone (see watchParent).
func WatchParent(pgid int) {
	watchParent(os.Getpid(), pgid)
}

// Argv0 returns the executable process pid was started with, as ps reports its argv[0].
func Argv0(pid int) (string, error) {
	out, err := exec.Command("ps", "-o", "args=", "-p", strconv.Itoa(pid)).Output() //nolint:gosec // a PID, not a command.
	if err != nil {
		return "", err
	}
	args := strings.Fields(string(out))
	if len(args) == 0 {
		return "", os.ErrNotExist
	}
	return args[0], nil
}

// ChildPIDs lists the PIDs of this process's children, as ps reports them.
func ChildPIDs() []int {
	out, err := exec.Command("ps", "-A", "-o", "pid=,ppid=").Output()
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		pid, err1 := strconv.Atoi(f[0])
		ppid, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil && ppid == self {
			pids = append(pids, pid)
		}
	}
	return pids
}
