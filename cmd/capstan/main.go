/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command capstan runs Capstan on one machine: a local management plane to try it on, and views of
// the clusters it serves.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/stack"
)

const (
	errNoPlane    = "no management plane: no local stack is recorded in %s (start one with 'capstan up'), no --kubeconfig, and no kubeconfig in $KUBECONFIG or ~/.kube/config"
	errKubeconfig = "cannot load kubeconfig %s"
)

// cli is the capstan command line.
type cli struct {
	globals

	Up         upCmd         `cmd:"" help:"Start a local management plane with Crossplane, the ClusterClaim function and the Capstan provider; keep it running until interrupted."`
	Down       downCmd       `cmd:"" help:"Stop the local management plane that 'capstan up' started."`
	Status     statusCmd     `cmd:"" help:"Show a ClusterClaim as a tree: claim, Cluster, control plane and worker pools, machines; without a claim, the local stack's components."`
	Kubeconfig kubeconfigCmd `cmd:"" help:"Write the admin kubeconfig of a ClusterClaim's workload cluster."`
	Plan       planCmd       `cmd:"" help:"Show what applying a ClusterClaim would change, down to each machine, before it is applied."`
	Test       testCmd       `cmd:"" help:"Run a project's E2ETests (Upbound's format) on the local stack, starting one if none is up."`
}

// globals are flags every command shares.
type globals struct {
	StateDir string `default:"${state_dir}" env:"CAPSTAN_STATE_DIR" help:"Directory for the local stack's state, logs and certificates." type:"path"`
}

// kubeFlags select the management plane a command talks to.
type kubeFlags struct {
	Kubeconfig string `help:"Kubeconfig of the management plane. Without it: the local stack 'capstan up' recorded, else $KUBECONFIG (or ~/.kube/config) as kubectl reads it." type:"path"`
	Namespace  string `default:"default" help:"Namespace of the ClusterClaim." short:"n"`
}

// A plane is the management plane a command reads, and how it was chosen.
type plane struct {
	// source says why this plane: the flag, the local stack, or kubectl's default.
	source string
	// rules load its kubeconfig.
	rules *clientcmd.ClientConfigLoadingRules
}

// Where a plane comes from, in the order they are chosen.
const (
	sourceFlag    = "--kubeconfig"
	sourceStack   = "the local stack"
	sourceKubectl = "kubectl's default"
)

// plane chooses the management plane: --kubeconfig, else the local stack 'capstan up' recorded
// (so that an exported KUBECONFIG does not silently point the CLI elsewhere while a local stack
// runs), else what kubectl would use.
func (k kubeFlags) plane(g globals) (plane, error) {
	if k.Kubeconfig != "" {
		return plane{source: sourceFlag, rules: &clientcmd.ClientConfigLoadingRules{ExplicitPath: k.Kubeconfig}}, nil
	}
	s, err := stack.ReadState(g.StateDir)
	switch {
	case err == nil:
		return plane{source: sourceStack, rules: &clientcmd.ClientConfigLoadingRules{ExplicitPath: s.Kubeconfig}}, nil
	case !os.IsNotExist(err):
		return plane{}, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if len(rules.GetLoadingPrecedence()) == 0 || !anyExists(rules.GetLoadingPrecedence()) {
		return plane{}, errors.Errorf(errNoPlane, g.StateDir)
	}
	return plane{source: sourceKubectl, rules: rules}, nil
}

// String says which kubeconfig the plane comes from.
func (p plane) String() string {
	return p.source + " (" + strings.Join(p.rules.GetLoadingPrecedence(), string(filepath.ListSeparator)) + ")"
}

// client returns a client of the plane.
func (p plane) client() (client.Client, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(p.rules, nil).ClientConfig()
	if err != nil {
		return nil, errors.Wrapf(err, errKubeconfig, p)
	}
	return stack.NewClient(cfg)
}

// client returns a client of the chosen management plane, and says on stderr which one it is.
func (k kubeFlags) client(g globals) (client.Client, error) {
	p, err := k.plane(g)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "Management plane: %s\n", p)
	return p.client()
}

// anyExists reports whether any of the files exists.
func anyExists(paths []string) bool {
	for _, f := range paths {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return false
}

func main() {
	// NOTE: the management plane's envtest and clients log through controller-runtime; the CLI
	// reports errors itself, and each process of the stack logs to its own file.
	ctrllog.SetLogger(logr.Discard())
	c := &cli{}
	ctx := kong.Parse(c, options()...)
	ctx.FatalIfErrorf(ctx.Run(c.globals))
}

// options configure the command line parser.
func options() []kong.Option {
	return []kong.Option{
		kong.Name("capstan"),
		kong.Description("Kubernetes clusters as a service on Crossplane and Cluster API."),
		kong.UsageOnError(),
		kong.Vars{"state_dir": defaultStateDir(), "bin_dir": defaultBinDir()},
	}
}

// defaultStateDir is the user's cache directory's capstan folder.
func defaultStateDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "capstan")
}

// defaultBinDir is the directory of this executable, where 'make build' also puts the provider and
// function binaries.
func defaultBinDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "bin"
	}
	return filepath.Dir(exe)
}
