/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"fmt"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

// kubeVIPAddress is the address the kube-vip static pod of files announces, "" without one.
func kubeVIPAddress(files map[string]string) (string, error) {
	manifest, ok := files[infrav1.KubeVIPManifestPath]
	if !ok {
		return "", nil
	}
	pod := &corev1.Pod{}
	if err := yaml.Unmarshal([]byte(manifest), pod); err != nil {
		return "", errors.Wrapf(err, "cannot read the kube-vip static pod %s", infrav1.KubeVIPManifestPath)
	}
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "address" || e.Name == "vip_address" {
				return e.Value, nil
			}
		}
	}
	return "", errors.Errorf("the kube-vip static pod %s sets no address", infrav1.KubeVIPManifestPath)
}

// announceLocked serves the cluster at endpoint for the control-plane machine b, as its kube-vip
// would: the address is bound on this host once the machine's kube-vip announces it. c.mu must
// be held.
func (c *Cloud) announceLocked(b *bootData) (*loadBalancer, error) {
	host, port, err := net.SplitHostPort(b.endpoint)
	if err != nil {
		return nil, err
	}
	if !sameHost(host, b.kubeVIPAddress) {
		return nil, errors.Errorf("no kube-vip static pod (%s) announces the control plane endpoint %s (announced: %q)", infrav1.KubeVIPManifestPath, b.endpoint, b.kubeVIPAddress)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", b.endpoint)
	if err != nil {
		return nil, errors.Wrapf(err, "kube-vip cannot serve %s", b.endpoint)
	}
	p, _ := strconv.ParseInt(port, 10, 32)
	c.nextGroup++
	id := "kube-vip/" + b.endpoint
	group := fmt.Sprintf("%s/%d", id, c.nextGroup)
	c.manager.AddResourceGroup(group)
	lb := &loadBalancer{
		id:            id,
		spec:          cloud.LoadBalancerSpec{Listeners: []cloud.Listener{{Port: int32(p), Protocol: cloud.ProtocolTCP}}},
		announced:     true,
		resourceGroup: group,
		ep:            newEndpoint(ln, host, int32(p), group, c.manager, c.servingKey, c.log.WithValues("kubeVIP", b.endpoint)),
	}
	c.lbs[id] = lb
	c.log.Info("kube-vip announces the control plane endpoint", "address", b.endpoint)
	return lb, nil
}
