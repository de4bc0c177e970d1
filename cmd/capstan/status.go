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
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/stack"
	"github.com/capstan-dev/capstan/internal/timeline"
)

const errNoStack = "no claim named, and no local stack runs (capstan up starts one)"

// statusCmd shows a ClusterClaim's tree once, or keeps it current.
type statusCmd struct {
	kubeFlags

	Claim    string        `arg:"" help:"Name of the ClusterClaim; without it, the local stack's components and their restarts." optional:""`
	Watch    bool          `help:"Keep the tree current until interrupted." short:"w"`
	Timeline bool          `help:"Show when each stage of the claim's life happened instead of the tree: claim filed, composed, Cluster, load balancer, each machine, its instance and Node, control plane available, claim Ready."`
	Interval time.Duration `default:"1s" help:"How often --watch reads the tree."`
}

// Run prints the tree.
func (c *statusCmd) Run(g globals) error {
	if c.Claim == "" {
		return components(os.Stdout, g.StateDir)
	}
	kube, err := c.client(g)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.Timeline {
		events, err := timeline.Read(ctx, kube, c.Namespace, c.Claim)
		if err != nil {
			return err
		}
		return timeline.Print(os.Stdout, events)
	}
	read := func(ctx context.Context) (*node, error) { return tree(ctx, kube, c.Namespace, c.Claim) }
	if !c.Watch {
		root, err := read(ctx)
		if err != nil {
			return err
		}
		return render(os.Stdout, root, time.Now())
	}
	w := newWatcher(os.Stdout, c.Interval)
	_, err = w.until(ctx, read, nil)
	return err
}

// components prints the local stack's components: what each runs as, and its restarts.
func components(out io.Writer, dir string) error {
	st, err := stack.ReadState(dir)
	if os.IsNotExist(err) {
		return errors.New(errNoStack)
	}
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 0, 3, ' ', 0)
	_, _ = fmt.Fprintf(w, "COMPONENT\tPID\tRESTARTS\n")
	for _, c := range st.Components {
		_, _ = fmt.Fprintf(w, "%s\t%d\t%d\n", c.Name, c.PID, c.Restarts)
	}
	return w.Flush()
}
