/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"sync"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errOptions    = "invalid in-memory cloud options"
	errScheme     = "cannot build the workload cluster scheme"
	errStart      = "cannot start the in-memory workload cluster store"
	errServingKey = "cannot create the serving key"
	errClosed     = "the in-memory cloud is closed"
	errEmptyID    = "an ID must not be empty"
)

var _ cloud.Driver = &Cloud{}

// Cloud is an in-memory cloud: simulated machines, and load balancers that are real TLS listeners
// serving a simulated workload cluster. It implements cloud.Driver; every method is safe for
// concurrent use. Close it to free every port.
type Cloud struct {
	opts    Options
	log     logr.Logger
	manager inmemoryruntime.Manager
	stop    context.CancelFunc
	// servingKey backs every serving certificate: minting a key per certificate is slow, and
	// nothing here needs them to differ.
	servingKey crypto.Signer

	mu        sync.Mutex
	closed    bool
	instances map[string]*instance
	lbs       map[string]*loadBalancer
	nextFD    int
	nextIP    uint32
	nextPort  int32
	nextGroup int
}

// New returns a running in-memory cloud.
func New(o Options) (*Cloud, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, errors.Wrap(err, errOptions)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, cloudv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, errors.Wrap(err, errScheme)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, errors.Wrap(err, errServingKey)
	}

	m := inmemoryruntime.NewManager(scheme)
	ctx, stop := context.WithCancel(ctrllog.IntoContext(context.Background(), o.Log))
	if err := m.Start(ctx); err != nil {
		stop()
		return nil, errors.Wrap(err, errStart)
	}
	return &Cloud{
		opts:       o,
		log:        o.Log,
		manager:    m,
		stop:       stop,
		servingKey: key,
		instances:  map[string]*instance{},
		lbs:        map[string]*loadBalancer{},
		nextPort:   o.MinPort,
	}, nil
}

// Close stops every boot and every listener, and frees every port. The cloud is unusable after.
func (c *Cloud) Close(_ context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	for _, i := range c.instances {
		i.deleted = true
		if i.timer != nil {
			i.timer.Stop()
		}
	}
	lbs := make([]*loadBalancer, 0, len(c.lbs))
	for _, lb := range c.lbs {
		lb.deleted = true
		lbs = append(lbs, lb)
	}
	c.instances, c.lbs = map[string]*instance{}, map[string]*loadBalancer{}
	c.mu.Unlock()

	// NOTE: endpoint.close ends every connection itself, so it cannot hang on a client.
	for _, lb := range lbs {
		lb.ep.close()
	}
	c.stop()
	return nil
}

// Inventory counts the cloud's instances and load balancers.
func (c *Cloud) Inventory() cloud.Inventory {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloud.Inventory{Instances: len(c.instances), LoadBalancers: len(c.lbs)}
}
