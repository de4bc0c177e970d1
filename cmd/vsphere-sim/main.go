/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command vsphere-sim runs a simulated vCenter (govmomi's vcsim) with Capstan's VM template and
// a guest that boots its VMs into workload clusters, so the vsphere driver can be watched and
// tested on one machine. `capstan up --vsphere-sim` runs one beside the stack.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud/vsphere/vcsim"
)

type cli struct {
	Address      string        `default:"127.0.0.1:8989"                                                                                                   help:"Address the vCenter API listens on (https)."`
	Username     string        `default:"capstan"                                                                                                          help:"User name the vCenter accepts."`
	Password     string        `env:"VSPHERE_SIM_PASSWORD"                                                                                                  help:"Password the vCenter accepts."                                    required:""`
	CAFile       string        `help:"Write the vCenter's certificate (PEM) here once it serves, for a provider config's tls.caBundle."                     type:"path"`
	LinkedClones bool          `default:"true"                                                                                                             help:"Give the template a snapshot, so machines are linked clones." negatable:""`
	BootDelay    time.Duration `default:"2s"                                                                                                               help:"How long a VM's guest takes to boot once powered on."`
	Debug        bool          `help:"Log at debug level."                                                                                                 short:"d"`
}

func (c *cli) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := zap.New(zap.UseDevMode(c.Debug)).WithName("vsphere-sim")

	sim, err := vcsim.Start(ctx, vcsim.Options{Address: c.Address, Username: c.Username, Password: c.Password, LinkedClones: c.LinkedClones, Log: log})
	if err != nil {
		return err
	}
	defer sim.Close()
	client, err := sim.Client(ctx)
	if err != nil {
		return err
	}
	guest, err := vcsim.NewGuest(client, vcsim.GuestOptions{BootDelay: c.BootDelay, Log: log})
	if err != nil {
		return err
	}
	if c.CAFile != "" {
		if err := writeAtomically(c.CAFile, []byte(sim.CABundle())); err != nil {
			return errors.Wrap(err, "cannot write the CA file")
		}
	}
	log.Info("Serving a simulated vCenter", "url", sim.URL().String(), "thumbprint", sim.Thumbprint(), "template", vcsim.Image)
	return guest.Run(ctx)
}

// writeAtomically writes data to path so that a reader never sees part of it.
func writeAtomically(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func main() {
	ctx := kong.Parse(&cli{}, kong.Description("Run a simulated vCenter whose VMs boot into Capstan workload clusters."))
	ctx.FatalIfErrorf(ctx.Run())
}
