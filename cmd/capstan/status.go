/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// statusCmd shows a ClusterClaim's tree once, or keeps it current.
type statusCmd struct {
	kubeFlags

	Claim    string        `arg:"" help:"Name of the ClusterClaim."`
	Watch    bool          `help:"Keep the tree current until interrupted." short:"w"`
	Interval time.Duration `default:"1s" help:"How often --watch reads the tree."`
}

// Run prints the tree.
func (c *statusCmd) Run(g globals) error {
	kube, err := c.client(g)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	read := func(ctx context.Context) (*node, error) { return tree(ctx, kube, c.Namespace, c.Claim) }
	if !c.Watch {
		root, err := read(ctx)
		if err != nil {
			return err
		}
		return render(os.Stdout, root, time.Now())
	}
	w := newWatcher(os.Stdout, c.Interval)
	_, err = w.until(ctx, read, nil, nil)
	return err
}
