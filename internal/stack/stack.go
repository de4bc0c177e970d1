/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package stack brings up the whole of Capstan on one machine: a local management plane
// (internal/localplane), the real Crossplane core (internal/xpcore), the ClusterClaim composition
// function and the provider manager as child processes of their own binaries, and installs the
// configuration (provider CRDs, the ClusterClaim XRD and Composition) and a default
// ClusterProviderConfig.
//
// NOTE: the function and the provider run from their binaries, not as goroutines: that is what
// their packages ship, each keeps its own flags, logs and crash, and each can be measured alone.
package stack

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/localplane"
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
	errCerts        = "cannot issue the function's serving certificate"
	errFunction     = "cannot start the function %s"
	errRegister     = "cannot register the function with Crossplane"
	errProvider     = "cannot start the provider %s"
	errProviderConf = "cannot create the default ClusterProviderConfig"
	errPort         = "cannot choose a port"
	errNoBinary     = "cannot find %s binary %q: build it first (make build)"
	errFunctionName = "the function needs a name (its Compositions' functionRef.name) and an image"
)

// Function is the composition function to run.
type Function struct {
	// Binary serves the function (function-sdk-go flags: --address, --tls-server-certs-dir).
	Binary string

	// Name is the name Compositions use in functionRef.name.
	Name string

	// Image is the function's package reference (never pulled; the API requires one).
	Image string
}

// Options configure a stack. Empty binaries leave their component out, so a partial stack can run
// while parts are missing.
type Options struct {
	// AssetsDir holds etcd, kube-apiserver, kube-controller-manager and crossplane-core.
	// Defaults to $KUBEBUILDER_ASSETS.
	AssetsDir string

	// Dir holds this run's logs, certificates and caches.
	Dir string

	// Function is the composition function; leave Binary empty to run none.
	Function Function

	// ProviderBinary is the provider manager; empty runs none.
	ProviderBinary string

	// ProviderArgs are extra flags for the provider.
	ProviderArgs []string

	// Install are YAML files or directories of them, applied once Crossplane is up: CRDs first,
	// then the rest. Package metadata (meta.pkg.crossplane.io) is skipped.
	Install []string

	// Output also receives every process's log; they always go to Dir/logs/<name>.log.
	Output io.Writer

	// Progress is told each step as it starts; nil says nothing.
	Progress func(step string)
}

// Stack is a running local Capstan.
type Stack struct {
	// Kubeconfig is an admin kubeconfig for the management plane.
	Kubeconfig string

	// Client reaches the management plane.
	Client client.Client

	// ProviderMetrics is the URL of the provider's Prometheus metrics, among them what its clouds
	// hold (capstan_cloud_instances, capstan_cloud_load_balancers); empty without a provider.
	ProviderMetrics string

	plane    *localplane.Plane
	core     *xpcore.Core
	function *childproc.Process
	provider *childproc.Process
	logs     []*os.File
}

// Up starts every component in order and returns once each reports ready. On error it stops what
// it started.
func Up(ctx context.Context, o Options) (*Stack, error) {
	if err := check(o); err != nil {
		return nil, err
	}
	s := &Stack{}
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
	if s.plane, err = localplane.Start(ctx, localplane.Options{AssetsDir: assets, Output: out}); err != nil {
		return errors.Wrap(err, errPlane)
	}
	s.Kubeconfig = s.plane.KubeconfigPath

	step("Crossplane core")
	if out, err = s.log(o, "crossplane"); err != nil {
		return err
	}
	s.core, err = xpcore.Start(ctx, xpcore.Options{
		Binary:     filepath.Join(assets, xpcore.BinaryName),
		Kubeconfig: s.Kubeconfig,
		Dir:        filepath.Join(o.Dir, "crossplane"),
		Output:     out,

		CircuitBreakerBurst:      circuitBreakerBurst,
		CircuitBreakerRefillRate: circuitBreakerRefillRate,
	})
	if err != nil {
		return errors.Wrap(err, errCore)
	}
	if s.Client, err = NewClient(s.plane.Config); err != nil {
		return errors.Wrap(err, errClient)
	}

	step("configuration (CRDs, XRD, Composition)")
	if err := Install(ctx, s.Client, o.Install...); err != nil {
		return errors.Wrap(err, errInstall)
	}

	// NOTE: functions start before any XR is filed: after a function outage core took ~50s to
	// reconnect.
	if o.Function.Binary != "" {
		step("function " + o.Function.Name)
		if err := s.startFunction(ctx, o); err != nil {
			return err
		}
	}
	if o.ProviderBinary != "" {
		step("provider")
		if err := s.startProvider(ctx, o); err != nil {
			return err
		}
		if err := DefaultProviderConfig(ctx, s.Client); err != nil {
			return errors.Wrap(err, errProviderConf)
		}
	}
	return nil
}

func (s *Stack) startFunction(ctx context.Context, o Options) error {
	certs := filepath.Join(o.Dir, "function-certs")
	if err := xpcore.WriteServerCerts(ctx, s.Client, certs); err != nil {
		return errors.Wrap(err, errCerts)
	}
	addr, err := freeAddress()
	if err != nil {
		return err
	}
	out, err := s.log(o, "function")
	if err != nil {
		return err
	}
	cmd := exec.Command(o.Function.Binary, "--address="+addr, "--tls-server-certs-dir="+certs) //nolint:gosec // the binary is the one the caller chose to run.
	if s.function, err = childproc.Start(o.Function.Name, cmd, out); err != nil {
		return errors.Wrapf(err, errFunction, o.Function.Binary)
	}
	if err := s.function.WaitReady(ctx, addr, readyTimeout, childproc.TCPReady(addr)); err != nil {
		return errors.Wrapf(err, errFunction, o.Function.Binary)
	}
	fn := xpcore.Function{Name: o.Function.Name, Image: o.Function.Image, Endpoint: addr}
	return errors.Wrap(xpcore.RegisterFunction(ctx, s.Client, fn), errRegister)
}

func (s *Stack) startProvider(ctx context.Context, o Options) error {
	health, err := freeAddress()
	if err != nil {
		return err
	}
	metrics, err := freeAddress()
	if err != nil {
		return err
	}
	out, err := s.log(o, "provider")
	if err != nil {
		return err
	}
	// NOTE: the provider runs as its own ServiceAccount with a real install's RBAC, not as the
	// admin (see providerKubeconfig). Its package's CRDs are the ones Install applied.
	ms, err := read(o.Install...)
	if err != nil {
		return err
	}
	var crds []string
	for _, m := range ms {
		if m.obj.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, m.obj.GetName())
		}
	}
	kubeconfig, err := s.providerKubeconfig(ctx, o.Dir, crds)
	if err != nil {
		return errors.Wrapf(err, errProvider, o.ProviderBinary)
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--metrics-address=" + metrics,
		"--health-probe-address=" + health,
	}, o.ProviderArgs...)
	cmd := exec.Command(o.ProviderBinary, args...) //nolint:gosec // the binary is the one the caller chose to run.
	if s.provider, err = childproc.Start("provider", cmd, out); err != nil {
		return errors.Wrapf(err, errProvider, o.ProviderBinary)
	}
	s.ProviderMetrics = "http://" + metrics + "/metrics"
	url := "http://" + health + "/readyz"
	return errors.Wrapf(s.provider.WaitReady(ctx, url, readyTimeout, childproc.HTTPReady(url)), errProvider, o.ProviderBinary)
}

// freeAddress returns a free loopback address.
func freeAddress() (string, error) {
	port, err := childproc.FreePort()
	if err != nil {
		return "", errors.Wrap(err, errPort)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// Exited is closed should any long-lived component exit on its own.
func (s *Stack) Exited() <-chan string {
	ch := make(chan string, 1)
	watch := func(name string, done <-chan struct{}) {
		<-done
		select {
		case ch <- name:
		default:
		}
	}
	if s.core != nil {
		go watch("Crossplane", s.core.Exited())
	}
	if s.function != nil {
		go watch("the function", s.function.Exited())
	}
	if s.provider != nil {
		go watch("the provider", s.provider.Exited())
	}
	return ch
}

// Down stops every component in the reverse order of Up and waits for each to exit. It is safe
// to call more than once.
func (s *Stack) Down() error {
	var errs []error
	for _, p := range []*childproc.Process{s.provider, s.function} {
		if p != nil {
			if err := p.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if s.core != nil {
		if err := s.core.Stop(); err != nil {
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
	f, err := os.Create(path)
	if err != nil {
		return nil, errors.Wrapf(err, errLog, path)
	}
	s.logs = append(s.logs, f)
	if o.Output != nil {
		return io.MultiWriter(f, o.Output), nil
	}
	return f, nil
}

// check validates o before anything starts.
func check(o Options) error {
	if o.Dir == "" {
		return errors.New(errNoDir)
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return errors.Wrapf(err, errMkdir, o.Dir)
	}
	if o.Function.Binary != "" && (o.Function.Name == "" || o.Function.Image == "") {
		return errors.New(errFunctionName)
	}
	for what, bin := range map[string]string{"the function": o.Function.Binary, "the provider": o.ProviderBinary} {
		if bin == "" {
			continue
		}
		if _, err := os.Stat(bin); err != nil {
			return errors.Errorf(errNoBinary, what, bin)
		}
	}
	return nil
}
