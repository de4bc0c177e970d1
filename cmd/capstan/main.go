// Command capstan runs Capstan on one machine: a local management plane to try it on, and views of
// the clusters it serves.
package main

import (
	"github.com/alecthomas/kong"
)

// cli is the capstan command line.
type cli struct {
	Up upCmd `cmd:"" help:"Start a local management plane and keep it running until interrupted."`
}

func main() {
	ctx := kong.Parse(&cli{},
		kong.Name("capstan"),
		kong.Description("Kubernetes clusters as a service on Crossplane and Cluster API."),
		kong.UsageOnError(),
	)
	ctx.FatalIfErrorf(ctx.Run())
}
