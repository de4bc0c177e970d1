/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command inmemory-cloud runs in-memory clouds as a process of their own, reached over HTTP as a
// real cloud's API is (internal/cloud/remote). A provider config whose inMemory driver names its
// endpoint keeps its machines, load balancers and workload API servers here, so they outlive
// the provider. `capstan up` runs one.
package main

import (
	"context"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud/remote"
)

const shutdownTimeout = 10 * time.Second

type cli struct {
	Address string `default:"127.0.0.1:7443" help:"Address the cloud API listens on. Keep it on loopback: the API and the workload clusters take no credentials."`
	Debug   bool   `help:"Log at debug level."                                                                                               short:"d"`
}

func (c *cli) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := zap.New(zap.UseDevMode(c.Debug)).WithName("inmemory-cloud")

	l, err := net.Listen("tcp", c.Address)
	if err != nil {
		return err
	}
	clouds := remote.NewServer(log)
	srv := &http.Server{Handler: clouds, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	log.Info("Serving in-memory clouds", "address", l.Addr().String())

	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, clouds.Close(sctx))
}

func main() {
	ctx := kong.Parse(&cli{}, kong.Description("Run in-memory clouds that Capstan providers reach over HTTP."))
	ctx.FatalIfErrorf(ctx.Run())
}
