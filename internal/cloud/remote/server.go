/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package remote

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"

	"github.com/go-logr/logr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/inmemory"
)

const (
	errNoCloud = "no cloud %q here: create it first"
	errBody    = "cannot read the request body"
)

// Server hosts named in-memory clouds and serves the API in this package's documentation.
type Server struct {
	log logr.Logger
	mux *http.ServeMux

	mu     sync.Mutex
	clouds map[string]*hosted
}

// hosted is one cloud and the options it was made with.
type hosted struct {
	cloud *inmemory.Cloud
	opts  Options
}

// NewServer returns a server that hosts no cloud yet. log receives what the clouds do.
func NewServer(log logr.Logger) *Server {
	s := &Server{log: log, mux: http.NewServeMux(), clouds: map[string]*hosted{}}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux.HandleFunc("PUT /v1/clouds/{cloud}", s.putCloud)
	s.mux.HandleFunc("GET /v1/clouds/{cloud}/inventory", s.inCloud(func(_ context.Context, c *inmemory.Cloud, _ *http.Request) (any, error) {
		return c.Inventory(), nil
	}))
	s.mux.HandleFunc("PUT /v1/clouds/{cloud}/instances/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		var spec cloud.InstanceSpec
		if err := decode(r, &spec); err != nil {
			return nil, err
		}
		return c.CreateInstance(ctx, r.PathValue("id"), spec)
	}))
	s.mux.HandleFunc("GET /v1/clouds/{cloud}/instances/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		return c.GetInstance(ctx, r.PathValue("id"))
	}))
	s.mux.HandleFunc("DELETE /v1/clouds/{cloud}/instances/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		return nil, c.DeleteInstance(ctx, r.PathValue("id"))
	}))
	s.mux.HandleFunc("PUT /v1/clouds/{cloud}/loadbalancers/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		var spec cloud.LoadBalancerSpec
		if err := decode(r, &spec); err != nil {
			return nil, err
		}
		return c.CreateLoadBalancer(ctx, r.PathValue("id"), spec)
	}))
	s.mux.HandleFunc("PATCH /v1/clouds/{cloud}/loadbalancers/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		var spec cloud.LoadBalancerSpec
		if err := decode(r, &spec); err != nil {
			return nil, err
		}
		return c.UpdateLoadBalancer(ctx, r.PathValue("id"), spec)
	}))
	s.mux.HandleFunc("GET /v1/clouds/{cloud}/loadbalancers/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		return c.GetLoadBalancer(ctx, r.PathValue("id"))
	}))
	s.mux.HandleFunc("DELETE /v1/clouds/{cloud}/loadbalancers/{id}", s.inCloud(func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error) {
		return nil, c.DeleteLoadBalancer(ctx, r.PathValue("id"))
	}))
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close closes every cloud, freeing its ports.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for name, h := range s.clouds {
		errs = append(errs, h.cloud.Close(ctx))
		delete(s.clouds, name)
	}
	return errors.Join(errs...)
}

// putCloud makes the named cloud with the request's options. A cloud of that name with the same
// options is kept, with everything in it: that is how a restarted provider finds its machines. One
// with other options is closed and replaced, as the provider replaces an embedded cloud whose
// provider config changed.
func (s *Server) putCloud(w http.ResponseWriter, r *http.Request) {
	var o Options
	if err := decode(r, &o); err != nil {
		respond(w, nil, err)
		return
	}
	name := r.PathValue("cloud")
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.clouds[name]; ok {
		if sameOptions(h.opts, o) {
			respond(w, nil, nil)
			return
		}
		_ = h.cloud.Close(r.Context()) // NOTE: replaced either way; its ports are what matter.
		delete(s.clouds, name)
	}
	c, err := inmemory.New(inmemory.Options{
		BootDelay: o.BootDelay, BindAddress: o.BindAddress, MinPort: o.MinPort, MaxPort: o.MaxPort,
		FailureDomains: o.FailureDomains, BootFailurePercent: o.BootFailurePercent,
		WorkerDeathPercent: o.WorkerDeathPercent, WorkerLifetime: o.WorkerLifetime, Log: s.log.WithValues("cloud", name),
	})
	if err != nil {
		respond(w, nil, err)
		return
	}
	s.clouds[name] = &hosted{cloud: c, opts: o}
	respond(w, nil, nil)
}

// inCloud serves a request on the cloud the path names with fn.
func (s *Server) inCloud(fn func(ctx context.Context, c *inmemory.Cloud, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("cloud")
		s.mu.Lock()
		h, ok := s.clouds[name]
		s.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(apiError{Reason: reasonNoCloud, Message: errors.Errorf(errNoCloud, name).Error()})
			return
		}
		out, err := fn(r.Context(), h.cloud, r)
		respond(w, out, err)
	}
}

// respond writes out as JSON, or err with the status and reason the driver maps back.
func respond(w http.ResponseWriter, out any, err error) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case cloud.IsNotFound(err):
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(apiError{Reason: reasonNotFound, Message: err.Error()})
	case err != nil:
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(apiError{Message: err.Error()})
	case out == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		_ = json.NewEncoder(w).Encode(out)
	}
}

func decode(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	return errors.Wrap(d.Decode(v), errBody)
}

func sameOptions(a, b Options) bool {
	return a.BootDelay == b.BootDelay && a.BindAddress == b.BindAddress && a.MinPort == b.MinPort &&
		a.MaxPort == b.MaxPort && slices.Equal(a.FailureDomains, b.FailureDomains) && a.BootFailurePercent == b.BootFailurePercent &&
		a.WorkerDeathPercent == b.WorkerDeathPercent && a.WorkerLifetime == b.WorkerLifetime
}
