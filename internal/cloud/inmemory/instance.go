/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	// ProviderIDPrefix starts the providerID of every instance: capstan://<id>.
	ProviderIDPrefix = "capstan://"

	errFailureDomain = "spec.failureDomain must be one of the cloud's failure domains"
	msgBooting       = "booting"
)

// internalNetwork is where instances get their fake InternalIP addresses.
var internalNetwork = net.IPv4(10, 0, 0, 0).To4()

// instance is a simulated machine.
type instance struct {
	// Guarded by Cloud.mu.
	obs       cloud.Instance
	createdAt time.Time
	timer     *time.Timer
	deleted   bool
	// failBoot is an injected fault: the machine will not boot.
	failBoot bool

	// work serialises the boot with the clean-up on delete, so a machine deleted mid-boot
	// leaves nothing in its cluster. The fields below are guarded by it.
	work         sync.Mutex
	lb           *loadBalancer
	node         string
	controlPlane bool
}

// CreateInstance creates a machine that boots from spec.UserData after Options.BootDelay.
// Creating an ID that exists returns the existing instance.
func (c *Cloud) CreateInstance(_ context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error) {
	if id == "" {
		return nil, errors.New(errEmptyID)
	}
	if spec.FailureDomain != "" && !slices.Contains(c.opts.FailureDomains, spec.FailureDomain) {
		return nil, errors.Errorf("%s %v, got %q", errFailureDomain, c.opts.FailureDomains, spec.FailureDomain)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New(errClosed)
	}
	if i, ok := c.instances[id]; ok {
		return copyInstance(i.obs), nil
	}

	fd := spec.FailureDomain
	if fd == "" {
		fd = c.opts.FailureDomains[c.nextFD%len(c.opts.FailureDomains)]
		c.nextFD++
	}
	c.nextIP++
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, binary.BigEndian.Uint32(internalNetwork)+c.nextIP)

	spec.UserData = bytes.Clone(spec.UserData)
	now := time.Now()
	i := &instance{
		obs: cloud.Instance{
			ID:            id,
			ProviderID:    c.opts.ProviderID(id),
			State:         cloud.InstanceStateProvisioning,
			Message:       msgBooting,
			FailureDomain: fd,
			Addresses: []cloud.Address{
				{Type: cloud.AddressInternalIP, Address: ip.String()},
				{Type: cloud.AddressHostname, Address: hostname(id)},
			},
			Spec:       spec,
			LaunchTime: now,
		},
		createdAt: now,
		failBoot:  c.opts.BootFailurePercent > 0 && rand.Int32N(100) < c.opts.BootFailurePercent, //nolint:gosec // chance, not security.
	}
	i.timer = time.AfterFunc(c.opts.BootDelay, func() { c.boot(i) })
	c.instances[id] = i
	return copyInstance(i.obs), nil
}

// GetInstance returns the instance with this ID, or cloud.ErrNotFound.
func (c *Cloud) GetInstance(_ context.Context, id string) (*cloud.Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.instances[id]
	if !ok {
		return nil, errors.Wrapf(cloud.ErrNotFound, "instance %q", id)
	}
	return copyInstance(i.obs), nil
}

// DeleteInstance deletes the machine at once: its Node and, on a control plane machine, its
// static pods, etcd member and API server leave the cluster it booted into.
func (c *Cloud) DeleteInstance(ctx context.Context, id string) error {
	c.mu.Lock()
	i, ok := c.instances[id]
	if ok {
		i.deleted = true
		i.timer.Stop()
		delete(c.instances, id)
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}

	i.work.Lock()
	defer i.work.Unlock()
	c.leaveCluster(ctx, i)
	return nil
}

// leaveCluster removes what the machine brought to its cluster. i.work must be held.
func (c *Cloud) leaveCluster(ctx context.Context, i *instance) {
	if i.lb == nil {
		return
	}
	c.mu.Lock()
	gone := i.lb.deleted
	c.mu.Unlock()
	if gone {
		return
	}
	if i.controlPlane {
		i.lb.ep.removeAPIServer(staticPodName("kube-apiserver", i.node))
		i.lb.ep.removeEtcdMember(staticPodName("etcd", i.node))
		if i.lb.announced && !i.lb.ep.hasControlPlane() {
			// NOTE: no control-plane machine is left to announce the address.
			_ = c.DeleteLoadBalancer(ctx, i.lb.id) // it never fails
			i.lb = nil
			return
		}
	}
	if err := removeMachine(ctx, c.manager.GetResourceGroup(i.lb.resourceGroup).GetClient(), i.node, i.controlPlane); err != nil {
		// NOTE: the instance is gone already; a leftover object is the cluster's to clean.
		c.log.Error(err, "cannot remove a deleted instance from its cluster", "node", i.node)
	}
	i.lb = nil
}

// setState records where a machine is, unless it was deleted meanwhile.
func (c *Cloud) setState(i *instance, s cloud.InstanceState, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i.deleted {
		return
	}
	i.obs.State, i.obs.Message = s, msg
}

// retryBoot boots the machine again after d, unless it was deleted meanwhile.
func (c *Cloud) retryBoot(i *instance, d time.Duration, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i.deleted {
		return
	}
	i.obs.Message = msg
	i.timer = time.AfterFunc(d, func() { c.boot(i) })
}

// hostname is the machine's hostname, which kubeadm uses as its Node name: the ID, lower-cased,
// with every character a DNS name cannot hold replaced by '-'.
func hostname(id string) string {
	h := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		default:
			return '-'
		}
	}, id)
	h = strings.Trim(h, "-.")
	if len(h) > 253 {
		h = strings.Trim(h[:253], "-.")
	}
	if h == "" {
		return "instance"
	}
	return h
}

func copyInstance(i cloud.Instance) *cloud.Instance {
	out := i
	out.Addresses = slices.Clone(i.Addresses)
	out.Spec.UserData = bytes.Clone(i.Spec.UserData)
	return &out
}
