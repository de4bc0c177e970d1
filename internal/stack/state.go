/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/childproc"
)

// StateFile is the name of the file, in the stack directory, that describes a running stack.
const StateFile = "state.json"

const (
	errReadState  = "cannot read the stack state %s"
	errWriteState = "cannot write the stack state %s"
)

// Process is a process of a running stack.
type Process struct {
	// Name is the executable's base name, e.g. kube-apiserver.
	Name string `json:"name"`

	// PID is the process ID.
	PID int `json:"pid"`
}

// State describes a running stack for the commands that inspect or stop it from another process.
type State struct {
	// PID is the process that runs the stack (capstan up); stopping it stops the stack.
	PID int `json:"pid"`

	// Executable is the base name of that process's executable, to tell a recycled PID apart.
	Executable string `json:"executable"`

	// Kubeconfig is the management plane's admin kubeconfig.
	Kubeconfig string `json:"kubeconfig"`

	// Started is when the stack came up.
	Started time.Time `json:"started"`

	// Processes are the stack's child processes, for clean-up should PID die without stopping them.
	Processes []Process `json:"processes"`

	// Components are the long-lived processes the stack keeps running, with their restarts.
	Components []Component `json:"components,omitempty"`
}

// WriteState records s in dir/StateFile.
func WriteState(dir string, s State) error {
	path := filepath.Join(dir, StateFile)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return errors.Wrapf(err, errWriteState, path)
	}
	// Written aside and renamed, so a reader never sees half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return errors.Wrapf(err, errWriteState, path)
	}
	return errors.Wrapf(os.Rename(tmp, path), errWriteState, path)
}

// ReadState reads dir/StateFile. The error satisfies os.IsNotExist when no stack is recorded.
func ReadState(dir string) (State, error) {
	path := filepath.Join(dir, StateFile)
	s := State{}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return s, err
		}
		return s, errors.Wrapf(err, errReadState, path)
	}
	return s, errors.Wrapf(json.Unmarshal(b, &s), errReadState, path)
}

// RemoveState deletes dir/StateFile; it is not an error if there is none.
func RemoveState(dir string) error {
	err := os.Remove(filepath.Join(dir, StateFile))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// Children lists this process's child processes, which are the stack's once Up returns, in the
// order they started (by PID, which the kernel hands out in increasing order).
func Children() []Process {
	var ps []Process
	for _, pid := range childproc.ChildPIDs() {
		argv0, err := childproc.Argv0(pid)
		if err != nil {
			continue // the process ended.
		}
		ps = append(ps, Process{Name: filepath.Base(argv0), PID: pid})
	}
	// Oldest first, so a clean-up that goes newest first stops them in the reverse order of start.
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
	return ps
}
