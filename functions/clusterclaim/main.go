/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command clusterclaim is the composition function that expands a ClusterClaim into Cluster API
// topology: a ClusterClass with its templates (unless the claim names a shared class) and a
// Cluster.
package main

import (
	"github.com/alecthomas/kong"

	"github.com/crossplane/function-sdk-go"

	"github.com/capstan-dev/capstan/functions/clusterclaim/fn"
)

// CLI of this function.
type CLI struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address            string `default:":9443" help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)." name:"tls-server-certs-dir"`
	Insecure           bool   `help:"Run without mTLS credentials. If you supply this flag --tls-server-certs-dir will be ignored."`
	MaxRecvMessageSize int    `default:"4"     help:"Maximum size of received messages in MB."`
	MetricsAddress     string `default:""      help:"Address at which to serve Prometheus metrics; empty serves none."`
}

// Run this function.
func (c *CLI) Run() error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	// NOTE: the SDK serves metrics on :8080 unless told otherwise; an empty address turns them off.
	return function.Serve(fn.New(log),
		function.Listen(c.Network, c.Address),
		function.MTLSCertificates(c.TLSCertsDir),
		function.Insecure(c.Insecure),
		function.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		function.WithMetricsServer(c.MetricsAddress))
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("A Crossplane composition function that expands a ClusterClaim into Cluster API topology."))
	ctx.FatalIfErrorf(ctx.Run())
}
