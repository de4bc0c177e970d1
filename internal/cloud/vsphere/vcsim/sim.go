/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package vcsim runs a vCenter for tests and the demo: govmomi's simulator (vcsim) with VM
// templates for Capstan's images, and a guest that boots the VMs the way their operating system
// would (see Guest). Nothing here is on the production driver's path.
package vcsim

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"net/url"
	"slices"
	"time"

	"github.com/go-logr/logr"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
)

// The simulated inventory, as vcsim's VPX model names it.
const (
	Datacenter     = "DC0"
	ComputeCluster = "DC0_C0"
	Datastore      = "LocalDS_0"
	Network        = "VM Network"
	// Image is the image Capstan's function gives every machine; its template is made at start.
	Image = "capstan-node-ubuntu-24.04"
	// TemplateDiskGiB is the template's disk: the small size of the default catalogue, which
	// linked clones keep.
	TemplateDiskGiB = 20
)

// FailureDomains are the hosts of the compute cluster, one failure domain each.
var FailureDomains = []v1alpha1.VSphereFailureDomain{
	{Name: "fd-a", Host: ComputeCluster + "/DC0_C0_H0"},
	{Name: "fd-b", Host: ComputeCluster + "/DC0_C0_H1"},
	{Name: "fd-c", Host: ComputeCluster + "/DC0_C0_H2"},
}

// Options configure a simulated vCenter.
type Options struct {
	// Address to listen on, host:port; port 0 picks one.
	Address string
	// Username and Password the vCenter accepts.
	Username, Password string
	// LinkedClones gives the template a snapshot, so machines are linked clones of it.
	LinkedClones bool
	// MethodDelay slows the vSphere API methods it names (e.g. CloneVM_Task) by that long, as
	// a loaded vCenter is.
	MethodDelay map[string]time.Duration
	Log         logr.Logger
}

// Sim is a running simulated vCenter with Capstan's templates.
type Sim struct {
	model  *simulator.Model
	server *simulator.Server
	creds  vsphere.Credentials
}

// Start runs a simulated vCenter over TLS and makes the template of Image.
func Start(ctx context.Context, o Options) (*Sim, error) {
	m := simulator.VPX()
	m.Machine = 0
	if len(o.MethodDelay) > 0 {
		m.DelayConfig.MethodDelay = map[string]int{}
		for method, d := range o.MethodDelay {
			m.DelayConfig.MethodDelay[method] = int(d.Milliseconds())
		}
	}
	if err := m.Create(); err != nil {
		return nil, errors.Wrap(err, "cannot create the simulated inventory")
	}
	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{Host: o.Address, User: url.UserPassword(o.Username, o.Password)}
	s := &Sim{model: m, server: m.Service.NewServer(), creds: vsphere.Credentials{Username: o.Username, Password: o.Password}}
	if err := s.makeTemplate(ctx, o.LinkedClones); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the simulated vCenter; everything in it is gone.
func (s *Sim) Close() {
	s.server.Close()
	s.model.Remove()
}

// URL is the vCenter's SDK endpoint, without credentials.
func (s *Sim) URL() *url.URL {
	u := *s.server.URL
	u.User = nil
	return &u
}

// Credentials log in to the vCenter.
func (s *Sim) Credentials() vsphere.Credentials {
	return s.creds
}

// CABundle is the PEM-encoded certificate the vCenter serves, which is its own CA.
func (s *Sim) CABundle() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.server.Certificate().Raw}))
}

// Thumbprint is the SHA-1 thumbprint of the vCenter's certificate.
func (s *Sim) Thumbprint() string {
	return soap.ThumbprintSHA1(s.server.Certificate())
}

// Service is the simulator, for fault injection.
func (s *Sim) Service() *simulator.Service {
	return s.model.Service
}

// Driver is the vsphere driver configuration of this vCenter, with control-plane endpoints taken
// from pool.
func (s *Sim) Driver(pool ...string) v1alpha1.VSphereDriver {
	return DriverConfig(s.URL().String(), s.CABundle(), pool...)
}

// DriverConfig is the vsphere driver configuration of a simulated vCenter at url whose
// certificate is ca, with control-plane endpoints taken from pool.
func DriverConfig(url, ca string, pool ...string) v1alpha1.VSphereDriver {
	return v1alpha1.VSphereDriver{
		Server:                url,
		TLS:                   v1alpha1.VSphereTLS{CABundle: ca},
		Datacenter:            Datacenter,
		ComputeCluster:        ComputeCluster,
		Datastore:             Datastore,
		Network:               Network,
		Images:                []v1alpha1.VSphereImage{{Name: Image, Template: Image}},
		FailureDomains:        slices.Clone(FailureDomains),
		ControlPlaneEndpoints: v1alpha1.VSphereAddressPool{Addresses: pool},
	}
}

// Client logs in to the vCenter.
func (s *Sim) Client(ctx context.Context) (*govmomi.Client, error) {
	u := s.URL()
	u.User = url.UserPassword(s.creds.Username, s.creds.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	return c, errors.Wrap(err, "cannot log in to the simulated vCenter")
}
