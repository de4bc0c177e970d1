package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/capstan-dev/capstan/internal/localplane"
)

// upCmd starts a local management plane and stops it cleanly on SIGINT or SIGTERM.
type upCmd struct {
	Assets string `env:"KUBEBUILDER_ASSETS" help:"Directory holding etcd, kube-apiserver and kube-controller-manager (make tools builds them into .cache/tools/bin)." required:""`
	Logs   bool   `help:"Show the logs of etcd, kube-apiserver and kube-controller-manager."`
}

func (c *upCmd) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	o := localplane.Options{AssetsDir: c.Assets}
	if c.Logs {
		o.Output = os.Stderr
	}
	p, err := localplane.Start(ctx, o)
	if err != nil {
		return err
	}
	defer p.Stop() //nolint:errcheck // reported below on the normal path.

	fmt.Printf("Management plane up at %s\n\n", p.Host())
	fmt.Printf("  export KUBECONFIG=%s\n", p.KubeconfigPath)
	fmt.Printf("  kubectl get namespaces\n\n")
	fmt.Println("Press Ctrl-C to stop it.")

	<-ctx.Done()
	fmt.Println("\nStopping the management plane...")
	return p.Stop()
}
