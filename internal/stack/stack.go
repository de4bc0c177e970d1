/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package stack brings up the whole of Capstan on one machine as a platform team installs it: a
// local management plane (internal/localplane), the real Crossplane core (internal/xpcore), and an
// in-process registry (internal/registry) that serves Capstan's packages. One Configuration is
// applied; Crossplane's package manager resolves the provider and the function as its
// dependencies and installs their CRDs, the ClusterClaim XRD and the Composition. Core runs no
// package itself (--package-runtime=...=External): the stack runs the provider and function
// binaries as their runtime, as Crossplane would run their images in a cluster.
//
// NOTE: the function and the provider run from their binaries, not as goroutines: that is what
// their packages ship, each keeps its own flags, logs and crash, and each can be measured alone.
package stack

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/capstan-dev/capstan/cluster/install"
	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/localplane"
	"github.com/capstan-dev/capstan/internal/registry"
	"github.com/capstan-dev/capstan/internal/xpcore"
)

const readyTimeout = 90 * time.Second

// NOTE: a Cluster API Cluster's status changes dozens of times while it provisions. With core's
// default circuit breaker (a burst of 100 events per XR, refilled at 1/s) that churn opened the
// breaker of every new ClusterClaim, after which core heard the claim's own edits only on its 30s
// probe or the function's TTL: Ready came 84s after filing instead of 29s, and a pool scaled in
// the claim showed 3/3 workers after 118s instead of 13s. Steady state is quiet, so a larger
// bucket costs nothing there.
const (
	circuitBreakerBurst      = 1000
	circuitBreakerRefillRate = 20
)

const (
	errNoDir        = "stack directory is required"
	errMkdir        = "cannot create the stack directory %s"
	errLog          = "cannot open log file %s"
	errPlane        = "cannot start the management plane"
	errCore         = "cannot start Crossplane"
	errClient       = "cannot create a client for the management plane"
	errInstall      = "cannot install the configuration"
	errCerts        = "cannot issue a serving certificate"
	errFunction     = "cannot start the function %s"
	errProvider     = "cannot start the provider %s"
	errProviderConf = "cannot create the default ClusterProviderConfig"
	errPort         = "cannot choose a port"
	errNoBinary     = "cannot find %s binary %q: build it first (make build)"
	errNoPackages   = "cannot find Capstan's packages in %q: build them first (make build)"
	errRegistry     = "cannot start the package registry"
	errCloud        = "cannot start the in-memory cloud %s"
	errRevision     = "the package manager made no revision of %s"
)

// Options configure a stack. Empty binaries leave their runtime out: the packages install, but
// what needs the missing binary never turns Healthy.
type Options struct {
	// AssetsDir holds etcd, kube-apiserver, kube-controller-manager and crossplane-core.
	// Defaults to $KUBEBUILDER_ASSETS.
	AssetsDir string

	// Dir holds this run's logs, certificates and caches.
	Dir string

	// Packages is the directory of Capstan's xpkgs, as `make build` writes them (_output/xpkg).
	Packages string

	// Version is the tag the packages are published as; DefaultVersion when empty.
	Version string

	// FunctionBinary serves the ClusterClaim function (function-sdk-go flags); empty runs none.
	FunctionBinary string

	// ProviderBinary is the provider manager; empty runs none.
	ProviderBinary string

	// ProviderArgs are extra flags for the provider.
	ProviderArgs []string

	// APIServerFlags are extra kube-apiserver flags, each --name=value.
	APIServerFlags []string

	// CloudBinary runs the in-memory cloud as its own process (cmd/inmemory-cloud), which the
	// default provider config names, so the cloud outlives the provider. Empty runs the cloud
	// inside the provider.
	CloudBinary string

	// VSphereSimBinary runs a simulated vCenter (cmd/vsphere-sim) beside the stack, and the
	// ClusterProviderConfig VSphereSimProviderConfigName on it. Empty runs none.
	VSphereSimBinary string

	// Output also receives every process's log; they always go to Dir/logs/<name>.log.
	Output io.Writer

	// Progress is told each step as it starts; nil says nothing.
	Progress func(step string)

	// OnRestart is told the name of a component the stack started again after it exited.
	OnRestart func(component string)
}

// Stack is a running local Capstan.
type Stack struct {
	// Kubeconfig is an admin kubeconfig for the management plane.
	Kubeconfig string

	// Client reaches the management plane.
	Client client.Client

	// Registry is the host:port of the registry serving Capstan's packages to core.
	Registry string

	plane    *localplane.Plane
	registry *registry.Registry

	// components are the long-lived processes the stack keeps running: Crossplane core, the
	// function, the in-memory cloud and the provider.
	components []*component
	keepers    sync.WaitGroup
	life       context.Context
	end        context.CancelFunc

	mu              sync.Mutex
	providerMetrics string
	coreMetrics     string
	cloudAddress    string
	vsphereSim      struct{ address, password, caFile string }
	// functionRuntime and providerRuntime are the stack as the runtime of each package.
	functionRuntime *packageRuntime
	providerRuntime *packageRuntime
	started         chan struct{}
	stop            context.CancelFunc
	logs            []*os.File
	logged          map[string]bool
	opts            Options
}

// Up starts every component in order and returns once each reports ready. On error it stops what
// it started.
func Up(ctx context.Context, o Options) (*Stack, error) {
	if err := check(o); err != nil {
		return nil, err
	}
	s := &Stack{logged: map[string]bool{}, opts: o}
	s.life, s.end = context.WithCancel(context.Background())
	if err := s.up(ctx, o); err != nil {
		_ = s.Down()
		return nil, err
	}
	return s, nil
}

func (s *Stack) up(ctx context.Context, o Options) error {
	step := func(msg string) {
		if o.Progress != nil {
			o.Progress(msg)
		}
	}
	assets := o.AssetsDir
	if assets == "" {
		assets = os.Getenv(localplane.AssetsEnv)
	}

	step("management plane (etcd, kube-apiserver, kube-controller-manager)")
	out, err := s.log(o, "plane")
	if err != nil {
		return err
	}
	if s.plane, err = localplane.Start(ctx, localplane.Options{AssetsDir: assets, Output: out, APIServerFlags: o.APIServerFlags}); err != nil {
		return errors.Wrap(err, errPlane)
	}
	s.Kubeconfig = s.plane.KubeconfigPath

	version := o.Version
	if version == "" {
		version = DefaultVersion
	}
	step("registry serving Capstan's packages " + version)
	if s.registry, err = registry.Start(filepath.Join(o.Dir, "registry")); err != nil {
		return errors.Wrap(err, errRegistry)
	}
	s.Registry = s.registry.Host
	if err := publish(ctx, s.registry, o.Packages, version); err != nil {
		return err
	}

	step("Crossplane core")
	coreOpts := xpcore.Options{
		Binary:     filepath.Join(assets, xpcore.BinaryName),
		Kubeconfig: s.Kubeconfig,
		Dir:        filepath.Join(o.Dir, "crossplane"),
		CABundle:   s.registry.CABundle,

		CircuitBreakerBurst:      circuitBreakerBurst,
		CircuitBreakerRefillRate: circuitBreakerRefillRate,
	}
	err = s.supervise(ctx, "crossplane", func(ctx context.Context) (process, error) {
		out, err := s.log(o, "crossplane")
		if err != nil {
			return nil, err
		}
		opts := coreOpts
		opts.Output = out
		c, err := xpcore.Start(ctx, opts)
		if err != nil {
			return nil, errors.Errorf("%s: %v%s", errCore, err, s.tail("crossplane"))
		}
		s.mu.Lock()
		s.coreMetrics = c.Metrics()
		s.mu.Unlock()
		return c, nil
	})
	if err != nil {
		return err
	}
	if s.Client, err = NewClient(s.plane.Config); err != nil {
		return errors.Wrap(err, errClient)
	}

	step("Configuration " + install.ConfigurationName + " (the package manager installs " + ProviderName + " and " + FunctionName + ")")
	if err := s.applyRBAC(ctx); err != nil {
		return err
	}
	if err := installPackages(ctx, s.Client, s.registry.Host, version); err != nil {
		return errors.Wrap(err, errInstall)
	}

	// The stack is the runtime of both packages from here on, whether or not it has their
	// binaries: core installs nothing of a package until its runtime has recorded itself.
	if err := s.prepareRuntimes(ctx, o.Dir); err != nil {
		return err
	}
	rctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.record(rctx)

	// NOTE: functions start before any XR is filed: after a function outage core took ~50s to
	// reconnect.
	if o.FunctionBinary != "" {
		step("function runtime")
		if err := s.supervise(ctx, "function", func(ctx context.Context) (process, error) { return s.startFunction(ctx, o) }); err != nil {
			return err
		}
	}
	if o.CloudBinary != "" {
		step("in-memory cloud")
		if err := s.supervise(ctx, "inmemory-cloud", func(ctx context.Context) (process, error) { return s.startCloud(ctx, o) }); err != nil {
			return err
		}
	}
	if o.VSphereSimBinary != "" {
		step("simulated vCenter")
		if err := s.supervise(ctx, "vsphere-sim", func(ctx context.Context) (process, error) { return s.startVSphereSim(ctx, o) }); err != nil {
			return err
		}
	}
	if o.ProviderBinary != "" {
		step("provider runtime")
		if err := s.supervise(ctx, "provider", func(ctx context.Context) (process, error) { return s.startProvider(ctx, o) }); err != nil {
			return err
		}
	}
	running := map[string]bool{FunctionName: o.FunctionBinary != "", ProviderName: o.ProviderBinary != ""}
	if err := waitInstalled(ctx, s.Client, running); err != nil {
		return err
	}
	endpoint := ""
	if o.CloudBinary != "" {
		endpoint = "http://" + s.cloudAddress
	}
	if err := DefaultProviderConfig(ctx, s.Client, endpoint); err != nil {
		return errors.Wrap(err, errProviderConf)
	}
	if o.VSphereSimBinary != "" {
		return s.vsphereSimProviderConfig(ctx)
	}
	return nil
}

// startFunction runs the function at its runtime's address and returns once it serves.
func (s *Stack) startFunction(ctx context.Context, o Options) (process, error) {
	rt := s.functionRuntime
	out, err := s.log(o, "function")
	if err != nil {
		return nil, err
	}
	addr := rt.Endpoint
	cmd := exec.Command(o.FunctionBinary, "--address="+addr, "--tls-server-certs-dir="+rt.CertsDir) //nolint:gosec // the binary is the one the caller chose to run.
	p, err := s.startReady(ctx, "function", cmd, out, addr, childproc.TCPReady(addr))
	if err != nil {
		return nil, errors.Wrapf(err, errFunction, o.FunctionBinary)
	}
	s.running(rt)
	return p, nil
}

// startReady starts cmd as the component name, logging to out, and waits until ready; a process
// that does not get ready is stopped, and the error ends with the last lines of its log.
func (s *Stack) startReady(ctx context.Context, name string, cmd *exec.Cmd, out io.Writer, what string, ready func(context.Context) bool) (*childproc.Process, error) {
	p, err := childproc.Start(name, cmd, out)
	if err != nil {
		return nil, err
	}
	if err := p.WaitReady(ctx, what, readyTimeout, ready); err != nil {
		_ = p.Stop()
		return nil, errors.Errorf("%v%s", err, s.tail(name))
	}
	return p, nil
}

// startProvider runs the provider as its ServiceAccount and returns once it is ready.
func (s *Stack) startProvider(ctx context.Context, o Options) (process, error) {
	health, err := freeAddress()
	if err != nil {
		return nil, err
	}
	metrics, err := freeAddress()
	if err != nil {
		return nil, err
	}
	out, err := s.log(o, "provider")
	if err != nil {
		return nil, err
	}
	// NOTE: the provider runs as its own ServiceAccount with a real install's RBAC, not as the
	// admin (see providerKubeconfig), which Crossplane grants per package revision.
	rt := s.providerRuntime
	var rev pkgv1.PackageRevision
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, installTimeout, true, func(ctx context.Context) (bool, error) {
		rev, err = rt.ActiveRevision(ctx, s.Client)
		return rev != nil && len(rev.GetObjects()) > 0, err
	})
	if err != nil {
		return nil, errors.Wrapf(err, errRevision, ProviderName)
	}
	kubeconfig, err := s.providerKubeconfig(ctx, o.Dir, rev)
	if err != nil {
		return nil, errors.Wrapf(err, errProvider, o.ProviderBinary)
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--metrics-address=" + metrics,
		"--health-probe-address=" + health,
	}, o.ProviderArgs...)
	cmd := exec.Command(o.ProviderBinary, args...) //nolint:gosec // the binary is the one the caller chose to run.
	url := "http://" + health + "/readyz"
	p, err := s.startReady(ctx, "provider", cmd, out, url, childproc.HTTPReady(url))
	if err != nil {
		return nil, errors.Wrapf(err, errProvider, o.ProviderBinary)
	}
	s.mu.Lock()
	s.providerMetrics = "http://" + metrics + "/metrics"
	s.mu.Unlock()
	s.running(rt)
	return p, nil
}

// ProviderMetrics is the URL of the provider's Prometheus metrics, among them what its clouds
// hold (capstan_cloud_instances, capstan_cloud_load_balancers); empty without a provider. It
// changes when the provider is started again.
func (s *Stack) ProviderMetrics() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.providerMetrics
}

// CoreMetrics is the URL of Crossplane core's Prometheus metrics. It changes when core is started
// again.
func (s *Stack) CoreMetrics() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.coreMetrics
}

// startCloud runs the in-memory cloud on a free loopback port, the same one when it is started
// again: the default provider config names it.
func (s *Stack) startCloud(ctx context.Context, o Options) (process, error) {
	addr := s.cloudAddress
	if addr == "" {
		a, err := freeAddress()
		if err != nil {
			return nil, err
		}
		addr = a
	}
	out, err := s.log(o, "cloud")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.CloudBinary, "--address="+addr) //nolint:gosec // the binary is the one the caller chose to run.
	url := "http://" + addr + "/healthz"
	p, err := s.startReady(ctx, "cloud", cmd, out, url, childproc.HTTPReady(url))
	if err != nil {
		return nil, errors.Wrapf(err, errCloud, o.CloudBinary)
	}
	s.cloudAddress = addr
	return p, nil
}

// freeAddress returns a free loopback address.
func freeAddress() (string, error) {
	port, err := childproc.FreePort()
	if err != nil {
		return "", errors.Wrap(err, errPort)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// Down stops every component in the reverse order of Up and waits for each to exit. It is safe
// to call more than once.
func (s *Stack) Down() error {
	if s.stop != nil {
		s.stop()
	}
	errs := s.stopComponents()
	if s.registry != nil {
		if err := s.registry.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.plane != nil {
		if err := s.plane.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range s.logs {
		_ = f.Close()
	}
	s.logs = nil
	return errors.Join(errs...)
}

// log opens Dir/logs/<name>.log, afresh, teed to o.Output.
func (s *Stack) log(o Options, name string) (io.Writer, error) {
	path := filepath.Join(o.Dir, "logs", name+".log")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, errors.Wrapf(err, errMkdir, filepath.Dir(path))
	}
	// A component started again (RestartProvider) appends to its log of this run.
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if s.logged[name] {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, errors.Wrapf(err, errLog, path)
	}
	s.logs = append(s.logs, f)
	s.logged[name] = true
	if o.Output != nil {
		return io.MultiWriter(f, o.Output), nil
	}
	return f, nil
}

// tailLines is how much of a component's log a start failure shows.
const tailLines = 20

// tail returns the last lines of the component's log, to end an error with.
func (s *Stack) tail(name string) string {
	b, err := os.ReadFile(filepath.Join(s.opts.Dir, "logs", name+".log"))
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	lines := strings.Split(string(bytes.TrimSpace(b)), "\n")
	lines = lines[max(0, len(lines)-tailLines):]
	return "\nlast lines of " + name + ".log:\n" + strings.Join(lines, "\n")
}

// check validates o before anything starts.
func check(o Options) error {
	if o.Dir == "" {
		return errors.New(errNoDir)
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return errors.Wrapf(err, errMkdir, o.Dir)
	}
	if _, err := os.Stat(o.Packages); o.Packages == "" || err != nil {
		return errors.Errorf(errNoPackages, o.Packages)
	}
	for what, bin := range map[string]string{"the function": o.FunctionBinary, "the provider": o.ProviderBinary, "the in-memory cloud": o.CloudBinary, "the simulated vCenter": o.VSphereSimBinary} {
		if bin == "" {
			continue
		}
		if _, err := os.Stat(bin); err != nil {
			return errors.Errorf(errNoBinary, what, bin)
		}
	}
	return nil
}
