/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	// joinRetryInterval is how often a joining machine asks again for its control plane.
	joinRetryInterval = time.Second
	bootTimeout       = 30 * time.Second
)

// msgDied is the state message of a machine that died by an injected fault.
const msgDied = "injected fault: the machine died (workerDeathPercent %d)"

// die ends a running machine as a failed host does: it leaves its cluster and is Failed.
func (c *Cloud) die(i *instance) {
	i.work.Lock()
	defer i.work.Unlock()
	c.mu.Lock()
	gone := i.deleted || c.closed
	c.mu.Unlock()
	if gone {
		return
	}
	c.log.Info("instance died", "id", i.obs.ID, "reason", "injected fault")
	c.leaveCluster(context.Background(), i)
	c.setState(i, cloud.InstanceStateFailed, fmt.Sprintf(msgDied, c.opts.WorkerDeathPercent))
}

// msgBootFault is the state message of a machine that fails to boot by an injected fault.
const msgBootFault = "injected fault: the machine failed to boot (bootFailurePercent %d)"

// errNoControlPlane says a joining machine found its load balancer but no API server behind it.
var errNoControlPlane = errors.New("no control plane serves yet")

// boot runs a machine's bootstrap data, as cloud-init and kubeadm would: it records Running,
// Failed with the reason, or, for a machine joining a cluster with no control plane yet, tries
// again until Options.JoinTimeout.
func (c *Cloud) boot(i *instance) {
	i.work.Lock()
	defer i.work.Unlock()

	c.mu.Lock()
	if i.deleted || c.closed {
		c.mu.Unlock()
		return
	}
	obs := *copyInstance(i.obs)
	c.mu.Unlock()

	if i.failBoot {
		c.log.Info("instance failed to boot", "id", obs.ID, "reason", "injected fault")
		c.setState(i, cloud.InstanceStateFailed, fmt.Sprintf(msgBootFault, c.opts.BootFailurePercent))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	err := c.runBootstrap(ctx, i, &obs)
	switch {
	case err == nil:
		c.log.Info("instance running", "id", obs.ID, "node", i.node)
		c.setState(i, cloud.InstanceStateRunning, "")
		if !i.controlPlane && c.opts.WorkerDeathPercent > 0 && rand.Int32N(100) < c.opts.WorkerDeathPercent { //nolint:gosec // chance, not security.
			c.mu.Lock()
			i.timer = time.AfterFunc(c.opts.WorkerLifetime, func() { c.die(i) })
			c.mu.Unlock()
		}
	case errors.Is(err, errNoControlPlane) && time.Since(i.createdAt) < c.opts.BootDelay+c.opts.JoinTimeout:
		c.retryBoot(i, joinRetryInterval, err.Error())
	default:
		c.log.Info("instance failed to boot", "id", obs.ID, "reason", err.Error())
		c.setState(i, cloud.InstanceStateFailed, err.Error())
	}
}

// runBootstrap boots the machine into the cluster its user data names. i.work must be held.
func (c *Cloud) runBootstrap(ctx context.Context, i *instance, obs *cloud.Instance) error {
	spec := obs.Spec
	b, err := parseUserData(spec.UserData)
	if err != nil {
		return errors.Wrap(err, "cannot boot from the user data")
	}

	lb, err := c.loadBalancerFor(b)
	if err != nil {
		return err
	}
	switch {
	case b.role != roleInit && !lb.ep.hasControlPlane():
		return errors.Wrapf(errNoControlPlane, "waiting for a control plane at %s", b.endpoint)
	case b.role == roleInit && lb.ep.hasControlPlane():
		return errors.Errorf("kubeadm init found a control plane already serving at %s; a machine joins a cluster with kubeadm join", b.endpoint)
	}
	if b.controlPlane() {
		if err := lb.ep.acceptsCA(b.clusterCA); err != nil {
			return err
		}
	}

	client := c.manager.GetResourceGroup(lb.resourceGroup).GetClient()
	version := b.kubernetesVersion
	if version == "" {
		// NOTE: kubeadm join reads the cluster's version from the kubeadm-config ConfigMap.
		if version, err = clusterKubernetesVersion(ctx, client); err != nil || version == "" {
			version = lb.ep.kubernetesVersion()
		}
	}
	m := &machine{
		nodeName:      nodeName(b, obs),
		providerID:    obs.ProviderID,
		failureDomain: obs.FailureDomain,
		addresses:     nodeAddresses(obs.Addresses),
		capacity:      nodeCapacity(spec.CPU, spec.MemoryMiB, spec.DiskGiB),
		kubeletVer:    version,
		boot:          b,
	}
	i.lb, i.node, i.controlPlane = lb, m.nodeName, b.controlPlane()

	if b.role == roleInit {
		if err := initCluster(ctx, client, b); err != nil {
			return errors.Wrap(err, "kubeadm init failed")
		}
	}
	if err := joinNode(ctx, client, m); err != nil {
		return errors.Wrap(err, "the kubelet cannot register its Node")
	}
	if !b.controlPlane() {
		return nil
	}
	if err := startControlPlane(ctx, client, m); err != nil {
		return errors.Wrap(err, "cannot start the control plane static pods")
	}
	if b.etcdCA != nil {
		if err := lb.ep.addEtcdMember(staticPodName("etcd", m.nodeName), b.etcdCA); err != nil {
			return err
		}
	}
	return lb.ep.addAPIServer(staticPodName("kube-apiserver", m.nodeName), b.clusterCA, b.certSANs, b.kubernetesVersion)
}

// loadBalancerFor returns the load balancer serving the machine's control-plane endpoint. With
// Options.AnnounceEndpoints the init machine serves it itself, and others wait for it.
func (c *Cloud) loadBalancerFor(b *bootData) (*loadBalancer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if lb := c.loadBalancerForLocked(b.endpoint); lb != nil {
		return lb, nil
	}
	switch {
	case !c.opts.AnnounceEndpoints:
		return nil, errors.Errorf("no load balancer serves the control plane endpoint %s named by the user data", b.endpoint)
	case b.role == roleInit:
		return c.announceLocked(b)
	default:
		return nil, errors.Wrapf(errNoControlPlane, "waiting for a control plane to announce %s", b.endpoint)
	}
}

// nodeName is nodeRegistration.name, or the hostname when the name is empty or a cloud-init
// template (such as {{ ds.meta_data.local_hostname }}) that the machine would render to it.
func nodeName(b *bootData, obs *cloud.Instance) string {
	if b.nodeName != "" && !strings.Contains(b.nodeName, "{{") {
		return b.nodeName
	}
	for _, a := range obs.Addresses {
		if a.Type == cloud.AddressHostname {
			return a.Address
		}
	}
	return hostname(obs.ID)
}

func nodeAddresses(as []cloud.Address) []corev1.NodeAddress {
	out := make([]corev1.NodeAddress, 0, len(as))
	for _, a := range as {
		out = append(out, corev1.NodeAddress{Type: corev1.NodeAddressType(a.Type), Address: a.Address})
	}
	return out
}
