/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package xpcore runs the real Crossplane core (the crossplane binary's `core init` and `core start`)
// as a local process against a management plane, and is the runtime of packages it installs.
//
// Without kubelets Crossplane cannot run packages, so their runtime is External: core's package
// manager pulls and installs packages as in any cluster, and each package's binary runs as a
// local process whose health (and, for a function, endpoint) a Runtime records on its revision.
package xpcore

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/capstan-dev/capstan/internal/childproc"
)

const (
	// Namespace is where Crossplane keeps its Secrets and package objects.
	Namespace = "crossplane-system"

	// BinaryName is the Crossplane binary's name in the tools directory (make tools).
	BinaryName = "crossplane-core"

	// CRDsDirName is the directory, next to the binary (symbolic links resolved), that holds core's
	// CRDs. The Makefile copies them there from the module the binary was built from.
	CRDsDirName = "crds"

	caSecretName     = "crossplane-root-ca"
	clientSecretName = "crossplane-tls-client"

	// DefaultPackageRuntime runs no package in the cluster: their binaries run locally.
	DefaultPackageRuntime = "Provider=External;Function=External"

	// defaultActivation activates every managed resource a provider installs, as Crossplane's
	// Helm chart does by default (provider.defaultActivations).
	defaultActivation = "*"

	initAttempts = 10
	readyTimeout = 60 * time.Second
)

const (
	errNoBinary      = "cannot find the Crossplane binary %q: run 'make tools'"
	errNoCRDs        = "cannot find Crossplane's CRDs in %s: run 'make tools'"
	errNoKubeconfig  = "kubeconfig is required"
	errNoDir         = "working directory is required"
	errMkdir         = "cannot create Crossplane's working directory"
	errClient        = "cannot create a client for the management plane"
	errNamespace     = "cannot create namespace " + Namespace
	errInit          = "cannot initialise Crossplane (core init): %s"
	errClientCerts   = "cannot write Crossplane's client certificates"
	errPorts         = "cannot choose ports for Crossplane"
	errStartCore     = "cannot start Crossplane (core start)"
	errFmtInitOutput = "%v\n%s"
)

// Options configure Crossplane core.
type Options struct {
	// Binary is the crossplane binary (v2.4.0). Its CRDs must be in CRDsDirName next to it.
	Binary string

	// Kubeconfig reaches the management plane as an administrator; core runs with it.
	Kubeconfig string

	// Dir is a working directory for core's client certificates and package cache.
	Dir string

	// Output receives core's logs; nil discards them.
	Output io.Writer

	// PackageRuntime is core's --package-runtime. Empty is DefaultPackageRuntime.
	PackageRuntime string

	// CABundle is a PEM file of the CAs core trusts, beside the system's, when it pulls packages
	// (--ca-bundle-path): a local registry's.
	CABundle string

	// CircuitBreakerBurst is how many watch events may trigger reconciles of one XR in a burst
	// before core stops listening to them for a while (--circuit-breaker-burst; each update
	// counts twice). Zero keeps core's default, 100.
	CircuitBreakerBurst int

	// CircuitBreakerRefillRate is how many such events per second refill the burst
	// (--circuit-breaker-refill-rate). Zero keeps core's default, 1.
	CircuitBreakerRefillRate int
}

// Core is a running Crossplane core process.
type Core struct {
	proc    *childproc.Process
	kube    client.Client
	metrics string
}

// Start installs Crossplane into the management plane (`core init`: its CRDs, the root CA and
// client-certificate Secrets, the package Lock) and starts its controllers (`core start`),
// returning once core reports ready. On error nothing is left running.
func Start(ctx context.Context, o Options) (*Core, error) {
	crds, err := check(o)
	if err != nil {
		return nil, err
	}
	kube, err := NewClient(o.Kubeconfig)
	if err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if err := kube.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, errors.Wrap(err, errNamespace)
	}
	if err := coreInit(ctx, o, crds); err != nil {
		return nil, err
	}

	certs := filepath.Join(o.Dir, "tls-client")
	if err := writeClientCerts(ctx, kube, certs); err != nil {
		return nil, errors.Wrap(err, errClientCerts)
	}
	cache := filepath.Join(o.Dir, "xpkg")
	if err := os.MkdirAll(cache, 0o750); err != nil {
		return nil, errors.Wrap(err, errMkdir)
	}

	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = childproc.FreePort(); err != nil {
			return nil, errors.Wrap(err, errPorts)
		}
	}
	pkgRuntime := o.PackageRuntime
	if pkgRuntime == "" {
		pkgRuntime = DefaultPackageRuntime
	}
	// NOTE: core binds its metrics, health and webhook ports on every interface and has no flag for
	// the address, so each gets an explicit free port rather than its default (8080, 8081, 9443).
	cmd := exec.Command(o.Binary, "core", "start", //nolint:gosec // the binary is the one the caller chose to run.
		"--enable-webhooks=false",
		"--package-runtime="+pkgRuntime,
		"--tls-client-certs-dir="+certs,
		"--xpkg-cache-dir="+cache,
		"--metrics-port="+strconv.Itoa(ports[0]),
		"--health-probe-port="+strconv.Itoa(ports[1]),
		"--webhook-port="+strconv.Itoa(ports[2]),
	)
	if o.CABundle != "" {
		cmd.Args = append(cmd.Args, "--ca-bundle-path="+o.CABundle)
	}
	if o.CircuitBreakerBurst > 0 {
		cmd.Args = append(cmd.Args, "--circuit-breaker-burst="+strconv.Itoa(o.CircuitBreakerBurst))
	}
	if o.CircuitBreakerRefillRate > 0 {
		cmd.Args = append(cmd.Args, "--circuit-breaker-refill-rate="+strconv.Itoa(o.CircuitBreakerRefillRate))
	}
	cmd.Env = append(os.Environ(), "KUBECONFIG="+o.Kubeconfig)
	p, err := childproc.Start("crossplane", cmd, o.Output)
	if err != nil {
		return nil, errors.Wrap(err, errStartCore)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(ports[1]) + "/readyz"
	if err := p.WaitReady(ctx, url, readyTimeout, childproc.HTTPReady(url)); err != nil {
		_ = p.Stop()
		return nil, errors.Wrap(err, errStartCore)
	}
	return &Core{proc: p, kube: kube, metrics: "http://127.0.0.1:" + strconv.Itoa(ports[0]) + "/metrics"}, nil
}

// Metrics is the URL of core's Prometheus metrics: its controllers' queues and reconciles.
func (c *Core) Metrics() string {
	return c.metrics
}

// Stop ends core and waits for it to exit. It is safe to call more than once.
func (c *Core) Stop() error {
	return c.proc.Stop()
}

// PID is the process ID of core.
func (c *Core) PID() int {
	return c.proc.PID()
}

// Exited is closed should core exit.
func (c *Core) Exited() <-chan struct{} {
	return c.proc.Exited()
}

// CRDsDir is where core's CRDs are for a given binary: CRDsDirName next to it, following symbolic
// links, so a binary linked into a shared bin directory still finds its own version's CRDs.
func CRDsDir(binary string) (string, error) {
	real, err := filepath.EvalSymlinks(binary)
	if err != nil {
		return "", errors.Wrapf(err, errNoBinary, binary)
	}
	return filepath.Join(filepath.Dir(real), CRDsDirName), nil
}

// NewClient returns a client for the management plane with the Kubernetes and Crossplane package
// types registered.
func NewClient(kubeconfig string) (client.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, errors.Wrap(err, errClient)
	}
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, pkgv1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, errors.Wrap(err, errClient)
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	return c, errors.Wrap(err, errClient)
}

// check validates o and returns the directory of core's CRDs.
func check(o Options) (string, error) {
	switch {
	case o.Kubeconfig == "":
		return "", errors.New(errNoKubeconfig)
	case o.Dir == "":
		return "", errors.New(errNoDir)
	}
	if _, err := os.Stat(o.Binary); err != nil {
		return "", errors.Wrapf(err, errNoBinary, o.Binary)
	}
	crds, err := CRDsDir(o.Binary)
	if err != nil {
		return "", err
	}
	if m, _ := filepath.Glob(filepath.Join(crds, "*.yaml")); len(m) == 0 {
		return "", errors.Errorf(errNoCRDs, crds)
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return "", errors.Wrap(err, errMkdir)
	}
	return crds, nil
}

// coreInit runs `core init`. On a fresh API server its first run fails to create the Lock while the
// CRDs it has just applied are not yet established, so it is retried.
func coreInit(ctx context.Context, o Options, crds string) error {
	var (
		out bytes.Buffer
		err error
	)
	for range initAttempts {
		out.Reset()
		cmd := exec.CommandContext(ctx, o.Binary, "core", "init", //nolint:gosec // the binary is the one the caller chose to run.
			"--enable-webhooks=false",
			"--cr-ds-path="+crds,
			"--tlsca-secret-name="+caSecretName,
			"--tls-client-secret-name="+clientSecretName,
			"--activation="+defaultActivation,
		)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+o.Kubeconfig)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err = cmd.Run(); err == nil {
			if o.Output != nil {
				_, _ = o.Output.Write(out.Bytes())
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Errorf(errInit, ctx.Err())
		case <-time.After(time.Second):
		}
	}
	return errors.Errorf(errInit, errors.Errorf(errFmtInitOutput, err, bytes.TrimSpace(out.Bytes())))
}
