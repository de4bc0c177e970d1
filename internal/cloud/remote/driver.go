/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

// requestTimeout bounds one API call; the cloud answers from memory.
const requestTimeout = 30 * time.Second

const (
	errEndpoint = "cannot use %q as the cloud's endpoint: want http://host:port"
	errCall     = "cannot call the cloud at %s"
	errAnswer   = "cannot read the cloud's answer to %s %s"
	errRefused  = "the cloud refused %s %s: %s"
)

var (
	_ cloud.Driver      = &Driver{}
	_ cloud.Inventorier = &Driver{}
)

// Driver is the cloud.Driver of one cloud a Server hosts. It holds nothing but the cloud's
// address, so it needs no closing: the cloud lives as long as its server does.
type Driver struct {
	base string
	opts Options
	http *http.Client
}

// New returns the driver of the cloud name at endpoint (http://host:port), creating the cloud
// with o unless the server hosts it with those options already.
func New(ctx context.Context, endpoint, name string, o Options) (*Driver, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, errors.Errorf(errEndpoint, endpoint)
	}
	d := &Driver{
		base: strings.TrimSuffix(endpoint, "/") + "/v1/clouds/" + url.PathEscape(name),
		opts: o,
		http: &http.Client{Timeout: requestTimeout},
	}
	return d, d.do(ctx, http.MethodPut, "", o, nil)
}

// CreateInstance creates the instance, or returns the one that has id.
func (d *Driver) CreateInstance(ctx context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error) {
	return call[cloud.Instance](ctx, d, http.MethodPut, "/instances/"+url.PathEscape(id), spec)
}

// GetInstance observes the instance.
func (d *Driver) GetInstance(ctx context.Context, id string) (*cloud.Instance, error) {
	return call[cloud.Instance](ctx, d, http.MethodGet, "/instances/"+url.PathEscape(id), nil)
}

// DeleteInstance deletes the instance.
func (d *Driver) DeleteInstance(ctx context.Context, id string) error {
	return d.call(ctx, http.MethodDelete, "/instances/"+url.PathEscape(id), nil, nil)
}

// CreateLoadBalancer creates the load balancer, or returns the one that has id.
func (d *Driver) CreateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	return call[cloud.LoadBalancer](ctx, d, http.MethodPut, "/loadbalancers/"+url.PathEscape(id), spec)
}

// GetLoadBalancer observes the load balancer.
func (d *Driver) GetLoadBalancer(ctx context.Context, id string) (*cloud.LoadBalancer, error) {
	return call[cloud.LoadBalancer](ctx, d, http.MethodGet, "/loadbalancers/"+url.PathEscape(id), nil)
}

// UpdateLoadBalancer changes the load balancer's spec.
func (d *Driver) UpdateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	return call[cloud.LoadBalancer](ctx, d, http.MethodPatch, "/loadbalancers/"+url.PathEscape(id), spec)
}

// DeleteLoadBalancer deletes the load balancer.
func (d *Driver) DeleteLoadBalancer(ctx context.Context, id string) error {
	return d.call(ctx, http.MethodDelete, "/loadbalancers/"+url.PathEscape(id), nil, nil)
}

// Inventory counts what the cloud holds; an empty inventory when the cloud cannot be reached,
// which the metrics that read it show as nothing held.
func (d *Driver) Inventory() cloud.Inventory {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	out := cloud.Inventory{}
	_ = d.call(ctx, http.MethodGet, "/inventory", nil, &out)
	return out
}

// call makes a request of the cloud and returns what it answered.
func call[T any](ctx context.Context, d *Driver, method, path string, in any) (*T, error) {
	out := new(T)
	if err := d.call(ctx, method, path, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// call makes a request of the cloud. A server that no longer hosts the cloud (it restarted)
// gets it created again, empty, and the request once more: the managed resources then find
// their instances gone and create them, as after any cloud outage.
func (d *Driver) call(ctx context.Context, method, path string, in, out any) error {
	err := d.do(ctx, method, path, in, out)
	var re *refusal
	if errors.As(err, &re) && re.reason == reasonNoCloud {
		if err := d.do(ctx, http.MethodPut, "", d.opts, nil); err != nil {
			return err
		}
		return d.do(ctx, method, path, in, out)
	}
	return err
}

// refusal is an error the cloud answered with.
type refusal struct {
	reason string
	msg    string
}

func (r *refusal) Error() string { return r.msg }

// Is makes a NotFound refusal cloud.ErrNotFound, for cloud.IsNotFound.
func (r *refusal) Is(target error) bool {
	return target == cloud.ErrNotFound && r.reason == reasonNotFound
}

func (d *Driver) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return errors.Wrapf(err, errCall, d.base)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, body)
	if err != nil {
		return errors.Wrapf(err, errCall, d.base)
	}
	req.Header.Set("Content-Type", "application/json")
	rsp, err := d.http.Do(req)
	if err != nil {
		return errors.Wrapf(err, errCall, d.base)
	}
	defer func() { _ = rsp.Body.Close() }()
	b, err := io.ReadAll(rsp.Body)
	if err != nil {
		return errors.Wrapf(err, errAnswer, method, path)
	}
	if rsp.StatusCode >= http.StatusBadRequest {
		e := apiError{}
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b))
		}
		return &refusal{reason: e.Reason, msg: errors.Errorf(errRefused, method, d.base+path, e.Message).Error()}
	}
	if out == nil || rsp.StatusCode == http.StatusNoContent {
		return nil
	}
	return errors.Wrapf(json.Unmarshal(b, out), errAnswer, method, path)
}
