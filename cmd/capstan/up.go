/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/stack"
)

const (
	errRunning  = "a local management plane is already running (pid %d, kubeconfig %s): stop it with 'capstan down'"
	errPackages = "--packages %s: %v (run 'make build', and capstan from the repository root, or point --packages at the directory of Capstan's xpkgs)"
	errApplyArg = "cannot apply --claim %s"
)

// stackFlags say what a local stack runs.
type stackFlags struct {
	Assets           string `env:"KUBEBUILDER_ASSETS" help:"Directory holding etcd, kube-apiserver, kube-controller-manager and crossplane-core (make tools builds them into .cache/tools/bin)."`
	Provider         string `default:"${bin_dir}/provider" help:"The provider manager binary (make build); skipped with a warning when absent." type:"path"`
	Function         string `default:"${bin_dir}/function-clusterclaim" help:"The ClusterClaim composition function binary (make build); skipped with a warning when absent." type:"path"`
	Cloud            string `default:"${bin_dir}/inmemory-cloud" help:"The in-memory cloud binary (make build), run as its own process so that clusters outlive a provider restart; when absent the cloud runs inside the provider, with a warning." type:"path"`
	VSphereSim       bool   `name:"vsphere-sim" help:"Also run a simulated vCenter (vcsim) and the ClusterProviderConfig vsphere-sim on it: claims naming it get VMs there."`
	VSphereSimBinary string `name:"vsphere-sim-binary" default:"${bin_dir}/vsphere-sim" help:"The simulated vCenter binary (make build), for --vsphere-sim." type:"path"`
	Packages         string `default:"_output/xpkg" help:"Directory of Capstan's packages (make build): served from a local registry and installed by Crossplane's package manager." type:"path"`
	Debug            bool   `help:"Run the provider at debug level: every reconcile of its controllers and of the bundled Cluster API ones is logged (logs/provider.log under the state directory)."`
}

// options are the stack's options for these flags, keeping state in dir and telling progress
// each step.
func (f stackFlags) options(dir string, progress func(string)) (stack.Options, error) {
	if f.Assets == "" {
		return stack.Options{}, errors.New("--assets or $KUBEBUILDER_ASSETS must name the directory of the management plane's binaries (make tools builds them into .cache/tools/bin)")
	}
	if _, err := os.Stat(f.Packages); err != nil {
		return stack.Options{}, errors.Errorf(errPackages, f.Packages, err)
	}
	o := stack.Options{
		AssetsDir:      f.Assets,
		Dir:            dir,
		Packages:       f.Packages,
		FunctionBinary: present(f.Function, "function"),
		ProviderBinary: present(f.Provider, "provider"),
		CloudBinary:    present(f.Cloud, "in-memory cloud"),
		Progress:       progress,
	}
	if f.Debug {
		o.ProviderArgs = append(o.ProviderArgs, "--debug")
	}
	if f.VSphereSim {
		if _, err := os.Stat(f.VSphereSimBinary); err != nil {
			return o, errors.Errorf("--vsphere-sim-binary %s: %v (run 'make build')", f.VSphereSimBinary, err)
		}
		o.VSphereSimBinary = f.VSphereSimBinary
	}
	return o, nil
}

// upCmd starts a local management plane with everything installed and stops it cleanly on SIGINT
// or SIGTERM (which 'capstan down' sends).
type upCmd struct {
	stackFlags

	Claim string `help:"A ClusterClaim manifest to apply once everything is up; its progress is shown until it is Ready." type:"existingfile"`
	Logs  bool   `help:"Also show every process's log here (they are always written under the state directory)."`
}

// Run brings the stack up, records it, waits for a signal and brings it down.
func (c *upCmd) Run(g globals) error {
	if err := takeOver(g.StateDir); err != nil {
		return err
	}
	// NOTE: a closed terminal (SIGHUP) stops the stack as Ctrl-C does, and a closed pipe
	// (`capstan up | tee log`, then Ctrl-C) must not kill this process mid-shutdown with SIGPIPE:
	// its writes fail instead, and every process it started is still stopped.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	start := time.Now()
	restarted := make(chan string, 16)
	o, err := c.options(g.StateDir, func(step string) { fmt.Printf("  %5.1fs starting %s\n", time.Since(start).Seconds(), step) })
	if err != nil {
		return err
	}
	o.OnRestart = func(name string) {
		select {
		case restarted <- name:
		default: // NOTE: the state is rewritten for the next restart anyway.
		}
	}
	if c.Logs {
		o.Output = os.Stderr
	}
	fmt.Println("Starting the local management plane...")
	s, err := stack.Up(ctx, o)
	if err != nil {
		return err
	}
	defer func() { _ = s.Down(); _ = stack.RemoveState(g.StateDir) }()

	exe, _ := os.Executable()
	st := stack.State{PID: os.Getpid(), Executable: filepath.Base(exe), Kubeconfig: s.Kubeconfig, Started: start}
	record := func() error {
		st.Processes, st.Components = stack.Children(), s.Components()
		return stack.WriteState(g.StateDir, st)
	}
	if err := record(); err != nil {
		return err
	}
	fmt.Printf("\nUp in %s. Reach the management plane with:\n\n", time.Since(start).Round(100*time.Millisecond))
	fmt.Printf("  export KUBECONFIG=%s\n", s.Kubeconfig)
	fmt.Printf("  kubectl get clusterclaims,clusters,instances,loadbalancers -A\n\n")
	fmt.Printf("Logs are in %s. Stop with Ctrl-C or 'capstan down'.\n", filepath.Join(g.StateDir, "logs"))

	if c.Claim != "" {
		if err := c.file(ctx, s, g.StateDir); err != nil {
			return err
		}
	}
	// The stack starts a component that exits again, with back-off; the state says how often.
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case name := <-restarted:
			fmt.Printf("%s exited and was started again (its log: %s)\n", name, filepath.Join(g.StateDir, "logs", name+".log"))
			_ = record() // NOTE: best effort; 'capstan down' also stops what Children lists.
		}
	}
	fmt.Println("\nStopping the local management plane...")
	stop()
	if err := s.Down(); err != nil {
		return err
	}
	fmt.Println("Stopped.")
	return stack.RemoveState(g.StateDir)
}

// file applies the --claim manifest and shows its tree until it is Ready, then how to reach it
// with a kubeconfig written to dir.
func (c *upCmd) file(ctx context.Context, s *stack.Stack, dir string) error {
	objs, err := stack.ApplyInNamespace(ctx, s.Client, c.Claim)
	if err != nil {
		return errors.Wrapf(err, errApplyArg, c.Claim)
	}
	claim, ns := objs[0], objs[0].GetNamespace()
	fmt.Printf("\nFiled %s %s/%s. Progress:\n\n", claim.GetKind(), ns, claim.GetName())
	applied := time.Now()
	w := newWatcher(os.Stdout, time.Second)
	read := func(ctx context.Context) (*node, error) { return tree(ctx, s.Client, ns, claim.GetName()) }
	t, err := w.until(ctx, read, ready)
	if err != nil || t == nil {
		return err
	}
	fmt.Printf("\n%s is Ready, %s after it was filed. Reach it with:\n\n", claim.GetName(), time.Since(applied).Round(time.Second))
	// The commands name this executable as it was run and the kubectl on PATH (make puts the one
	// it builds there), so they can be pasted as they are. The kubeconfig goes beside the stack's
	// state, never into the working directory (a repository, often).
	self := os.Args[0]
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		kubectl = "kubectl"
	}
	kubeconfig := filepath.Join(dir, claim.GetName()+".kubeconfig")
	fmt.Printf("  %s kubeconfig %s -n %s -o %s\n", self, claim.GetName(), ns, kubeconfig)
	fmt.Printf("  %s --kubeconfig %s get nodes\n\n", kubectl, kubeconfig)
	fmt.Printf("  %s status %s -n %s --watch\n", self, claim.GetName(), ns)
	return nil
}

// takeOver refuses to start over a running stack and clears the record of one that died.
func takeOver(dir string) error {
	st, err := stack.ReadState(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if childproc.Running(st.PID, st.Executable) {
		return errors.Errorf(errRunning, st.PID, st.Kubeconfig)
	}
	return cleanUp(io.Discard, dir, st)
}

// present returns path if it exists, else warns and returns "" so the stack runs without it.
func present(path, what string) string {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(os.Stderr, "warning: no %s binary at %s (make build): running without it\n", what, path)
		return ""
	}
	return path
}
