/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/stack"
)

// upStopTimeout bounds how long 'capstan up' may take to stop everything after SIGTERM.
const upStopTimeout = 2 * time.Minute

// planeDirPrefix is how internal/localplane names its temporary directory; only such a directory is
// removed on behalf of a stack that died.
const planeDirPrefix = "capstan-localplane-"

const errNotRunning = "no local management plane is recorded in %s"

// downCmd stops the stack 'capstan up' started, and cleans up after one that died.
type downCmd struct{}

// Run stops the recorded stack.
func (c *downCmd) Run(g globals) error {
	st, err := stack.ReadState(g.StateDir)
	if os.IsNotExist(err) {
		return errors.Errorf(errNotRunning, g.StateDir)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	if childproc.Running(st.PID, st.Executable) {
		fmt.Printf("Stopping the local management plane (capstan up, pid %d)...\n", st.PID)
		// 'capstan up' stops its components in order and removes the state file itself.
		if err := childproc.Terminate(st.PID, st.Executable, upStopTimeout); err != nil {
			return err
		}
	}
	if err := cleanUp(os.Stdout, g.StateDir, st); err != nil {
		return err
	}
	fmt.Printf("Stopped in %s.\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// cleanUp stops whatever st records that is still running, newest first, removes the management
// plane's directory and the state file.
func cleanUp(out io.Writer, dir string, st stack.State) error {
	var errs []error
	for _, p := range slices.Backward(st.Processes) {
		if !childproc.Running(p.PID, p.Name) {
			continue
		}
		_, _ = fmt.Fprintf(out, "  stopping leftover %s (pid %d)\n", p.Name, p.PID)
		if err := childproc.Terminate(p.PID, p.Name, childproc.StopTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	if plane := filepath.Dir(st.Kubeconfig); strings.HasPrefix(filepath.Base(plane), planeDirPrefix) {
		if err := os.RemoveAll(plane); err != nil {
			errs = append(errs, err)
		}
	}
	if err := stack.RemoveState(dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
