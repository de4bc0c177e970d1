/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"crypto/x509"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// keepAliveIdle is how long a session may sit idle before the client touches it: well inside
// vCenter's default 30 minute session timeout.
const keepAliveIdle = 10 * time.Minute

// login opens a session on the vCenter s names, checking its certificate as s.TLS says. Every
// call the session makes is counted in calls.
func login(ctx context.Context, s v1alpha1.VSphereDriver, creds Credentials, calls *callCounter) (*govmomi.Client, error) {
	u, err := soap.ParseURL(s.Server)
	if err != nil || u == nil {
		return nil, errors.Errorf("spec.driver.vsphere.server %q is not a host name, host:port or URL", s.Server)
	}
	sc := soap.NewClient(u, s.TLS.Insecure)
	switch {
	case s.TLS.Thumbprint != "":
		sc.SetThumbprint(u.Host, s.TLS.Thumbprint)
	case s.TLS.CABundle != "":
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(s.TLS.CABundle)) {
			return nil, errors.New("spec.driver.vsphere.tls.caBundle holds no PEM-encoded certificate")
		}
		sc.DefaultTransport().TLSClientConfig.RootCAs = pool
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot reach the vCenter at spec.driver.vsphere.server %q", s.Server)
	}
	calls.next = vc.RoundTripper
	again := &relogin{next: keepalive.NewHandlerSOAP(calls, keepAliveIdle, nil)}
	vc.RoundTripper = again
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	again.login = func(ctx context.Context) error { return c.SessionManager.Login(ctx, creds.userinfo()) }
	if err := again.login(ctx); err != nil {
		return nil, errors.Wrapf(err, "cannot log in to the vCenter at %q with the credentials named by spec.credentials", s.Server)
	}
	return c, nil
}

// relogin logs in again, once, when vCenter says a call's session is gone (vCenter restarted,
// or an administrator ended it), and makes the call again.
type relogin struct {
	next  soap.RoundTripper
	login func(context.Context) error
	// logins serialises the logins of calls that all found their session gone.
	logins sync.Mutex
}

// RoundTrip makes the call, and again after a new login when its session was gone.
func (r *relogin) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	err := r.next.RoundTrip(ctx, req, res)
	if !fault.Is(err, &types.NotAuthenticated{}) || methodOf(req) == "Login" {
		return err
	}
	r.logins.Lock()
	lerr := r.login(ctx)
	r.logins.Unlock()
	if lerr != nil {
		return errors.Wrap(lerr, "the vCenter ended the session, and logging in again failed")
	}
	// NOTE: the first answer's fault must not survive into the second.
	v := reflect.ValueOf(res).Elem()
	v.Set(reflect.Zero(v.Type()))
	return r.next.RoundTrip(ctx, req, res)
}

// methodOf is the vSphere API method a request calls.
func methodOf(req soap.HasFault) string {
	return strings.TrimSuffix(reflect.TypeOf(req).Elem().Name(), "Body")
}

// callCounter counts the vSphere API calls made through it, by method, so tests and benchmarks
// can say what an operation costs.
type callCounter struct {
	next soap.RoundTripper

	mu    sync.Mutex
	calls map[string]int
}

// RoundTrip counts the call and makes it.
func (c *callCounter) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	name := methodOf(req)
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[name]++
	c.mu.Unlock()
	return c.next.RoundTrip(ctx, req, res)
}

// snapshot returns the counts so far.
func (c *callCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}
