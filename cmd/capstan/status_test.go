/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bytes"
	"testing"

	"github.com/alecthomas/kong"
)

// TestStatusWithoutClaim: `capstan status` alone, as the README shows it, is a command of its own
// (the stack's components), not a missing argument.
func TestStatusWithoutClaim(t *testing.T) {
	c := &cli{}
	p, err := kong.New(c, options()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := p.Parse([]string{"status", "--state-dir", t.TempDir()})
	if err != nil {
		t.Fatalf("parse 'capstan status': %v", err)
	}
	if got := ctx.Command(); got != "status" {
		t.Errorf("'capstan status' parsed as %q, want status", got)
	}
	var out bytes.Buffer
	if err := components(&out, c.StateDir); err == nil || err.Error() != errNoStack {
		t.Errorf("components of a state directory without a stack: %v, want %q", err, errNoStack)
	}
}
