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
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/project"
	"github.com/capstan-dev/capstan/internal/stack"
)

// testCmd runs a project's E2ETests on a management plane: --kubeconfig's, else the local stack
// 'capstan up' runs, else a local stack started for the tests and stopped after them.
type testCmd struct {
	stackFlags

	Dir        string `arg:"" default:"tests" help:"Directory of the tests, relative to --root." type:"string"`
	Root       string `default:"." help:"The project's root, which test files' paths are relative to." type:"existingdir"`
	Kubeconfig string `help:"Kubeconfig of the management plane to run on, instead of the local stack." type:"path"`
	Namespace  string `default:"default" help:"Namespace of namespaced test objects that name none."`
	Parallel   int    `default:"0" help:"How many E2ETests run at once; 0 runs them all at once (each applies its own objects)."`
}

// Run loads every test first, so a malformed file fails before anything starts, then runs the
// E2ETests one by one and prints a result per test.
func (c *testCmd) Run(g globals) error {
	tests, err := project.LoadTests(c.Root, c.Dir)
	if err != nil {
		return err
	}
	for _, t := range tests.E2E {
		if err := project.CheckCrossplane(t.Test, project.CrossplaneVersion); err != nil {
			return errors.Wrap(err, t.File)
		}
	}
	if len(tests.Composition) > 0 {
		fmt.Printf("%d CompositionTests in %s: go test ./internal/project runs them through crossplane render.\n", len(tests.Composition), c.Dir)
	}
	if len(tests.E2E) == 0 {
		fmt.Printf("No E2ETests in %s.\n", c.Dir)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kube, done, err := c.plane(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	return runE2E(ctx, os.Stdout, project.E2ERunner{Client: kube, Namespace: c.Namespace}, tests.E2E, c.Parallel)
}

// plane returns a client of the management plane to test on, and what to do when done.
func (c *testCmd) plane(ctx context.Context, g globals) (client.Client, func(), error) {
	k := kubeFlags{Kubeconfig: c.Kubeconfig}
	if c.Kubeconfig != "" {
		kube, err := k.client(g)
		return kube, func() {}, err
	}
	if _, err := stack.ReadState(g.StateDir); err == nil {
		kube, err := k.client(g)
		return kube, func() {}, err
	}
	start := time.Now()
	o, err := c.options(filepath.Join(g.StateDir, "test"), func(step string) { fmt.Printf("  %5.1fs starting %s\n", time.Since(start).Seconds(), step) })
	if err != nil {
		return nil, nil, err
	}
	fmt.Println("No local stack is up: starting one for the tests...")
	s, err := stack.Up(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	fmt.Printf("Up in %s.\n", time.Since(start).Round(100*time.Millisecond))
	return s.Client, func() { _ = s.Down() }, nil
}

// runE2E runs the tests, parallel at a time (all when 0), and prints PASS or FAIL for each in
// the order of the files; it fails if any failed.
func runE2E(ctx context.Context, out io.Writer, r project.E2ERunner, tests []project.Test[project.E2ETest], parallel int) error {
	type outcome struct {
		res project.E2EResult
		err error
	}
	outcomes := make([]outcome, len(tests))
	g := &errgroup.Group{}
	if parallel > 0 {
		g.SetLimit(parallel)
	}
	for i, t := range tests {
		g.Go(func() error {
			res, err := r.Run(ctx, t.Test)
			outcomes[i] = outcome{res: res, err: err}
			return nil
		})
	}
	_ = g.Wait() // NOTE: every outcome is in outcomes.
	failed := 0
	for i, t := range tests {
		if err := outcomes[i].err; err != nil {
			failed++
			fmt.Fprintf(out, "FAIL %s (%s): %v\n", t.Test.Metadata.Name, t.File, err)
			continue
		}
		res := outcomes[i].res
		fmt.Fprintf(out, "PASS %s: %v after %s", t.Test.Metadata.Name, t.Test.Spec.DefaultConditions, res.Ready.Round(time.Second))
		if !t.Test.Spec.SkipDelete {
			fmt.Fprintf(out, ", deleted in %s", res.Deleted.Round(time.Second))
		}
		fmt.Fprintln(out)
	}
	if failed > 0 {
		return errors.Errorf("%d of %d E2ETests failed", failed, len(tests))
	}
	return nil
}
