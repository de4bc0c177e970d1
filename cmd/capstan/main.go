// Command capstan runs Capstan on one machine: a local management plane to try it on, and views of
// the clusters it serves.
package main

import (
	"os"
	"path/filepath"

	"github.com/alecthomas/kong"
	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/stack"
)

const (
	errNoStack    = "no local management plane is recorded in %s: start one with 'capstan up', or pass --kubeconfig"
	errKubeconfig = "cannot load kubeconfig %s"
)

// cli is the capstan command line.
type cli struct {
	globals

	Up         upCmd         `cmd:"" help:"Start a local management plane with Crossplane, the ClusterClaim function and the Capstan provider; keep it running until interrupted."`
	Down       downCmd       `cmd:"" help:"Stop the local management plane that 'capstan up' started."`
	Status     statusCmd     `cmd:"" help:"Show a ClusterClaim as a tree: claim, Cluster, control plane and worker pools, machines."`
	Kubeconfig kubeconfigCmd `cmd:"" help:"Write the admin kubeconfig of a ClusterClaim's workload cluster."`
}

// globals are flags every command shares.
type globals struct {
	StateDir string `default:"${state_dir}" env:"CAPSTAN_STATE_DIR" help:"Directory for the local stack's state, logs and certificates." type:"path"`
}

// kubeFlags select the management plane a command talks to.
type kubeFlags struct {
	Kubeconfig string `env:"KUBECONFIG" help:"Kubeconfig of the management plane. Defaults to the one 'capstan up' recorded." type:"path"`
	Namespace  string `default:"default" help:"Namespace of the ClusterClaim." short:"n"`
}

// client returns a client for the management plane named by --kubeconfig, else by the running
// local stack's state.
func (k kubeFlags) client(g globals) (client.Client, error) {
	path := k.Kubeconfig
	if path == "" {
		s, err := stack.ReadState(g.StateDir)
		if os.IsNotExist(err) {
			return nil, errors.Errorf(errNoStack, g.StateDir)
		}
		if err != nil {
			return nil, err
		}
		path = s.Kubeconfig
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, errors.Wrapf(err, errKubeconfig, path)
	}
	return stack.NewClient(cfg)
}

func main() {
	// NOTE: the management plane's envtest and clients log through controller-runtime; the CLI
	// reports errors itself, and each process of the stack logs to its own file.
	ctrllog.SetLogger(logr.Discard())
	c := &cli{}
	ctx := kong.Parse(c,
		kong.Name("capstan"),
		kong.Description("Kubernetes clusters as a service on Crossplane and Cluster API."),
		kong.UsageOnError(),
		kong.Vars{"state_dir": defaultStateDir(), "bin_dir": defaultBinDir()},
	)
	ctx.FatalIfErrorf(ctx.Run(c.globals))
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
