/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package childproc runs the long-lived child processes of a local Capstan stack (Crossplane core,
// the composition function, the provider manager) so that none outlives the process that started
// it, and stops processes that a previous run left behind.
package childproc

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// StopTimeout is how long Stop waits after SIGTERM before it sends SIGKILL.
const StopTimeout = 20 * time.Second

const (
	errStart      = "cannot start %s"
	errExited     = "%s exited before becoming ready: %v"
	errNotReady   = "%s did not become ready at %s"
	errFreePort   = "cannot find a free loopback port"
	errSignal     = "cannot signal process %d"
	errStillAlive = "process %d is still running %s after SIGKILL"
)

// A Process is a running child process in a process group of its own.
type Process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs cmd as a child named name (for messages). Its output goes to out (nil discards it).
// The child gets a process group of its own, so a terminal's Ctrl-C reaches only this process,
// which then stops it in order, and it is killed should this process die without stopping it.
func Start(name string, cmd *exec.Cmd, out io.Writer) (*Process, error) {
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = Group()
	if err := cmd.Start(); err != nil {
		return nil, errors.Wrapf(err, errStart, name)
	}
	WatchParent(cmd.Process.Pid)
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name is the process's name for messages.
func (p *Process) Name() string { return p.name }

// PID is the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Err is how the process exited; valid once Exited is closed.
func (p *Process) Err() error { return p.err }

// WaitReady polls ready until it returns true, failing early with the exit status should the
// process exit, and after timeout.
func (p *Process) WaitReady(ctx context.Context, what string, timeout time.Duration, ready func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		select {
		case <-p.done:
			return false, errors.Errorf(errExited, p.name, p.err)
		default:
		}
		return ready(ctx), nil
	})
	if err != nil && ctx.Err() != nil {
		return errors.Errorf(errNotReady, p.name, what)
	}
	return err
}

// Stop sends SIGTERM to the process group, waits for the process to exit, and kills the group
// after StopTimeout. It is safe to call more than once.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = syscall.Kill(-p.PID(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
		<-p.done
	}
	return nil
}

// HTTPReady returns a readiness probe that is true once url answers 200 OK.
func HTTPReady(url string) func(context.Context) bool {
	c := &http.Client{Timeout: time.Second}
	return func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// TCPReady returns a readiness probe that is true once addr accepts connections.
func TCPReady(addr string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		_ = conn.Close()
		return true
	}
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, errors.Wrap(err, errFreePort)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Running reports whether process pid exists and runs the executable named binary (its base
// name), so a recycled PID is never taken for a process a previous run started.
func Running(pid int, binary string) bool {
	if pid <= 0 {
		return false
	}
	argv0, err := Argv0(pid)
	if err != nil {
		return false
	}
	return filepath.Base(argv0) == filepath.Base(binary)
}

// Terminate stops process pid, which need not be a child of this process: SIGTERM, then SIGKILL
// after timeout. It does nothing unless pid runs binary (see Running).
func Terminate(pid int, binary string, timeout time.Duration) error {
	if !Running(pid, binary) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return errors.Wrapf(err, errSignal, pid)
	}
	if waitGone(pid, binary, timeout) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return errors.Wrapf(err, errSignal, pid)
	}
	if waitGone(pid, binary, 5*time.Second) {
		return nil
	}
	return errors.Errorf(errStillAlive, pid, binary)
}

// waitGone polls until pid no longer runs binary, for at most timeout.
func waitGone(pid int, binary string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !Running(pid, binary) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return !Running(pid, binary)
}
