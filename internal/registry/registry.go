/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package registry serves OCI images from memory, over TLS on loopback: how the local stack hands
// Capstan's packages to Crossplane's package manager, which pulls them as it would from any
// registry. It wraps go-containerregistry's registry, which speaks the OCI distribution API
// (manifests, blobs, tags) and keeps everything in memory.
package registry

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/client-go/util/cert"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// CAFile is the name, in the directory Start is given, of the CA bundle that verifies the
// registry's serving certificate: what Crossplane's --ca-bundle-path points at.
const CAFile = "ca.crt"

const (
	errListen   = "cannot listen on loopback"
	errCert     = "cannot issue the registry's serving certificate"
	errWriteCA  = "cannot write the registry's CA bundle"
	errNoFiles  = "cannot push %s: no package files"
	errLoad     = "cannot load %s"
	errConfig   = "cannot read the image config of %s"
	errPlatform = "cannot push %s: %s names no platform, and an index needs one per image"
	errRef      = "cannot parse reference %s"
	errPush     = "cannot push %s"
)

// Registry is a running in-memory registry.
type Registry struct {
	// Host is the registry's host:port, the first part of every reference it serves.
	Host string

	// CABundle is the path of the PEM bundle that verifies the registry's certificate.
	CABundle string

	srv       *http.Server
	transport http.RoundTripper
	done      chan error
}

// Start serves an empty registry on a free loopback port with a certificate of its own CA, and
// writes that CA to dir/CAFile.
func Start(dir string) (*Registry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Wrap(err, errListen)
	}
	host := l.Addr().String()
	// NOTE: GenerateSelfSignedCertKey returns the serving certificate followed by the CA that
	// signed it, so the same PEM is the server's chain and the bundle clients trust.
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey("127.0.0.1", []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	if err != nil {
		_ = l.Close()
		return nil, errors.Wrap(err, errCert)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		_ = l.Close()
		return nil, errors.Wrap(err, errCert)
	}
	bundle := filepath.Join(dir, CAFile)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		_ = l.Close()
		return nil, errors.Wrap(err, errWriteCA)
	}
	if err := os.WriteFile(bundle, certPEM, 0o600); err != nil {
		_ = l.Close()
		return nil, errors.Wrap(err, errWriteCA)
	}
	pool, err := cert.NewPoolFromBytes(certPEM)
	if err != nil {
		_ = l.Close()
		return nil, errors.Wrap(err, errCert)
	}

	r := &Registry{
		Host:     host,
		CABundle: bundle,
		srv: &http.Server{
			Handler:           ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))),
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
			ReadHeaderTimeout: 10 * time.Second,
		},
		transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		done:      make(chan error, 1),
	}
	go func() { r.done <- r.srv.ServeTLS(l, "", "") }()
	return r, nil
}

// Push publishes xpkg files as repo:tag on this registry and returns the pushed reference. One
// file is pushed as an image; several (one per platform, as `make build` writes a runtime
// package) as an index of them, as `crossplane xpkg push -f a,b` does.
func (r *Registry) Push(ctx context.Context, repo, tag string, files ...string) (name.Reference, error) {
	ref, err := name.NewTag(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		return nil, errors.Wrapf(err, errRef, repo)
	}
	if len(files) == 0 {
		return nil, errors.Errorf(errNoFiles, ref)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(r.transport)}
	if len(files) == 1 {
		img, err := load(files[0])
		if err != nil {
			return nil, err
		}
		return ref, errors.Wrapf(remote.Write(ref, img, opts...), errPush, ref)
	}
	idx := v1.ImageIndex(empty.Index)
	for _, f := range files {
		img, err := load(f)
		if err != nil {
			return nil, err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, errors.Wrapf(err, errConfig, f)
		}
		if cfg.OS == "" || cfg.Architecture == "" {
			return nil, errors.Errorf(errPlatform, ref, f)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture}},
		})
	}
	return ref, errors.Wrapf(remote.WriteIndex(ref, idx, opts...), errPush, ref)
}

// Transport reaches the registry, trusting its CA.
func (r *Registry) Transport() http.RoundTripper {
	return r.transport
}

// Stop stops serving and closes every connection. It is safe to call more than once.
//
// NOTE: Close, not a graceful Shutdown: a pull cut short is retried by its client, while
// Shutdown waits up to 5s for connections a client opened and has not used yet.
func (r *Registry) Stop() error {
	if err := r.srv.Close(); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	default:
		return nil
	}
}
