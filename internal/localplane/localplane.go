/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package localplane runs a real Kubernetes management plane on this machine: etcd, kube-apiserver
// and kube-controller-manager on free loopback ports, in a temporary directory, with no Docker.
//
// envtest starts etcd and kube-apiserver; this package adds kube-controller-manager, because
// Crossplane and Cluster API rely on garbage collection of owned objects and on namespace deletion,
// which envtest alone never performs.
package localplane

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	// AssetsEnv names the directory holding the etcd, kube-apiserver and kube-controller-manager
	// binaries. It is envtest's own variable, so envtest-based tests find the same binaries.
	AssetsEnv = "KUBEBUILDER_ASSETS"

	kubeconfigFile = "kubeconfig"
	startTimeout   = 60 * time.Second
	stopTimeout    = 20 * time.Second
)

const (
	errNoAssets  = "cannot find the management plane binaries: set " + AssetsEnv + " or run 'make tools'"
	errTempDir   = "cannot create the management plane directory"
	errStartAPI  = "cannot start etcd and kube-apiserver"
	errWriteKube = "cannot write the admin kubeconfig"
	errStartKCM  = "cannot start kube-controller-manager"
	errStopKCM   = "cannot stop kube-controller-manager"
	errStopAPI   = "cannot stop etcd and kube-apiserver"
)

// Options configure a management plane. The zero value is usable when AssetsEnv is set.
type Options struct {
	// AssetsDir holds the etcd, kube-apiserver and kube-controller-manager binaries.
	// Defaults to $KUBEBUILDER_ASSETS.
	AssetsDir string

	// Output receives the logs of every process; nil discards them.
	Output io.Writer

	// APIServerFlags are extra kube-apiserver flags, each --name=value.
	APIServerFlags []string
}

// Plane is a running management plane. Stop it to end every process it started.
type Plane struct {
	// Config reaches the API server as a member of system:masters.
	Config *rest.Config

	// KubeconfigPath is an admin kubeconfig for kubectl and other clients.
	KubeconfigPath string

	dir string
	env *envtest.Environment
	kcm *controllerManager
}

// Start brings up etcd, kube-apiserver and kube-controller-manager and returns once the API server
// answers and the controller manager reports healthy. On error nothing is left running.
func Start(ctx context.Context, o Options) (*Plane, error) {
	assets := o.AssetsDir
	if assets == "" {
		assets = os.Getenv(AssetsEnv)
	}
	if assets == "" {
		return nil, errors.New(errNoAssets)
	}
	for _, bin := range []string{"etcd", "kube-apiserver", controllerManagerBinary} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, errors.Wrap(err, errNoAssets)
		}
	}

	dir, err := os.MkdirTemp("", "capstan-localplane-")
	if err != nil {
		return nil, errors.Wrap(err, errTempDir)
	}
	p := &Plane{dir: dir, KubeconfigPath: filepath.Join(dir, kubeconfigFile)}

	p.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  stopTimeout,
	}
	p.env.ControlPlane.APIServer = &envtest.APIServer{}
	if o.Output != nil {
		p.env.ControlPlane.Etcd = &envtest.Etcd{Out: o.Output, Err: o.Output}
		p.env.ControlPlane.APIServer = &envtest.APIServer{Out: o.Output, Err: o.Output}
	}
	// NOTE: there is no kube-proxy to route a Service's cluster IP, so the API server calls a
	// Service (a webhook's, an aggregated API's) at one of its endpoints, as a cluster without
	// a proxy on its control plane nodes is set up to.
	p.env.ControlPlane.APIServer.Configure().Set("enable-aggregator-routing", "true")
	for _, f := range o.APIServerFlags {
		name, value, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		p.env.ControlPlane.APIServer.Configure().Set(name, value)
	}
	if p.Config, err = p.env.Start(); err != nil {
		_ = p.Stop()
		return nil, errors.Wrap(err, errStartAPI)
	}
	if err := os.WriteFile(p.KubeconfigPath, p.env.KubeConfig, 0o600); err != nil {
		_ = p.Stop()
		return nil, errors.Wrap(err, errWriteKube)
	}

	p.kcm = &controllerManager{binary: filepath.Join(assets, controllerManagerBinary), kubeconfig: p.KubeconfigPath, output: o.Output}
	if err := p.kcm.start(ctx); err != nil {
		_ = p.Stop()
		return nil, errors.Wrap(err, errStartKCM)
	}
	return p, nil
}

// Stop ends every process of the plane, waits for them to exit and removes the plane's directory.
// It is safe to call more than once.
func (p *Plane) Stop() error {
	var errs []error
	if p.kcm != nil {
		if err := p.kcm.stop(); err != nil {
			errs = append(errs, errors.Wrap(err, errStopKCM))
		}
		p.kcm = nil
	}
	if p.env != nil {
		if err := p.env.Stop(); err != nil {
			errs = append(errs, errors.Wrap(err, errStopAPI))
		}
		p.env = nil
	}
	if p.dir != "" {
		if err := os.RemoveAll(p.dir); err != nil {
			errs = append(errs, err)
		}
		p.dir = ""
	}
	return errors.Join(errs...)
}

// Host is the URL of the API server.
func (p *Plane) Host() string {
	return p.Config.Host
}

// String describes the plane for a log line.
func (p *Plane) String() string {
	return fmt.Sprintf("management plane at %s (kubeconfig %s)", p.Host(), p.KubeconfigPath)
}
