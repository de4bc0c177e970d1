/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command xrdgen turns the CustomResourceDefinition controller-gen writes for the ClusterClaim Go
// types into the ClusterClaim CompositeResourceDefinition, so the XRD schema has one source: the
// Go types. It runs from go:generate in apis/platform.
package main

import (
	"os"

	"github.com/alecthomas/kong"
)

type cli struct {
	CRD string `help:"CustomResourceDefinition written by controller-gen." required:"" type:"existingfile"`
	Out string `help:"Where to write the CompositeResourceDefinition." required:""`

	DefaultComposition string `help:"Composition of XRs that select none."`
}

func (c *cli) Run() error {
	b, err := os.ReadFile(c.CRD)
	if err != nil {
		return err
	}
	crd, err := ParseCRD(b)
	if err != nil {
		return err
	}
	xrd, err := FromCRD(crd, c.DefaultComposition)
	if err != nil {
		return err
	}
	y, err := Marshal(xrd)
	if err != nil {
		return err
	}
	return os.WriteFile(c.Out, y, 0o644) //nolint:gosec // A package file, world-readable on purpose.
}

func main() {
	ctx := kong.Parse(&cli{}, kong.Description("Generate a namespaced XRD from a controller-gen CRD."))
	ctx.FatalIfErrorf(ctx.Run())
}
