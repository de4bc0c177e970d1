/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package childproc

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

func TestStopEndsTheProcess(t *testing.T) {
	p, err := Start("sleep", exec.Command("sleep", "60"), nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	// NOTE: Start returns once exec has begun; the kernel sets the new command line a moment
	// later, so /proc/<pid>/cmdline can still be empty right after Start.
	running := func(context.Context) (bool, error) { return Running(p.PID(), "sleep"), nil }
	if err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 5*time.Second, true, running); err != nil {
		t.Fatalf("Running(%d, sleep): want true soon after Start: %v", p.PID(), err)
	}
	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %s: want SIGTERM to end sleep at once", d)
	}
	select {
	case <-p.Exited():
	default:
		t.Errorf("Exited not closed after Stop")
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestWaitReady(t *testing.T) {
	cases := map[string]struct {
		reason  string
		argv    []string
		ready   func(context.Context) bool
		timeout time.Duration
		wantErr string
	}{
		"Ready": {
			reason:  "A probe that succeeds ends the wait without error.",
			argv:    []string{"sleep", "60"},
			ready:   func(context.Context) bool { return true },
			timeout: 5 * time.Second,
		},
		"Exited": {
			reason:  "A process that exits fails the wait at once, with its exit status.",
			argv:    []string{"false"},
			ready:   func(context.Context) bool { return false },
			timeout: time.Minute,
			wantErr: "false exited before becoming ready: exit status 1",
		},
		"TimedOut": {
			reason:  "A probe that never succeeds fails the wait after the timeout, naming what was probed.",
			argv:    []string{"sleep", "60"},
			ready:   func(context.Context) bool { return false },
			timeout: 300 * time.Millisecond,
			wantErr: "sleep did not become ready at the probe",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Start(tc.argv[0], exec.Command(tc.argv[0], tc.argv[1:]...), nil) //nolint:gosec // fixed test commands.
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer p.Stop() //nolint:errcheck // cleanup.
			err = p.WaitReady(context.Background(), "the probe", tc.timeout, tc.ready)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("%s\nWaitReady: want error %q, got %q", tc.reason, tc.wantErr, got)
			}
		})
	}
}

func TestTerminate(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	pid := cmd.Process.Pid

	// A process that does not run the named binary is left alone: its PID may have been recycled.
	if err := Terminate(pid, "etcd", time.Second); err != nil {
		t.Fatalf("Terminate(%d, etcd): %v", pid, err)
	}
	select {
	case <-done:
		t.Fatalf("Terminate(%d, etcd) ended a process that runs sleep", pid)
	case <-time.After(200 * time.Millisecond):
	}

	if err := Terminate(pid, "/usr/bin/sleep", 5*time.Second); err != nil {
		t.Fatalf("Terminate(%d, sleep): %v", pid, err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("Terminate(%d, sleep) left it running", pid)
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil {
		t.Fatalf("FreePort: %v", err)
	}
	if p <= 0 || p > 65535 {
		t.Errorf("FreePort: got %d, want a port number", p)
	}
	if TCPReady("127.0.0.1:" + strconv.Itoa(p))(context.Background()) {
		t.Errorf("TCPReady on a free port: want false")
	}
}
