/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
)

// kubeconfigKey is the key of Cluster API's <cluster>-kubeconfig Secret that holds the kubeconfig.
const kubeconfigKey = "value"

const (
	errNoKubeconfigYet = "ClusterClaim %s/%s has no workload kubeconfig yet: see 'capstan status %s -n %s'"
	errGetSecret       = "cannot get Secret %s/%s"
	errNoKey           = "Secret %s/%s has no %q key"
	errWrite           = "cannot write %s"
)

// kubeconfigCmd writes a ClusterClaim's workload kubeconfig.
type kubeconfigCmd struct {
	kubeFlags

	Claim  string `arg:"" help:"Name of the ClusterClaim."`
	Output string `default:"-" help:"File to write the kubeconfig to; - writes it to standard output." short:"o" type:"path"`
}

// Run writes the kubeconfig.
func (c *kubeconfigCmd) Run(g globals) error {
	kube, err := c.client(g)
	if err != nil {
		return err
	}
	b, err := workloadKubeconfig(context.Background(), kube, c.Namespace, c.Claim)
	if err != nil {
		return err
	}
	if c.Output == "-" || c.Output == "" {
		_, err := os.Stdout.Write(b)
		return err
	}
	if err := writePrivate(c.Output, b); err != nil {
		return errors.Wrapf(err, errWrite, c.Output)
	}
	fmt.Fprintf(os.Stderr, "Wrote %s\n", c.Output)
	return nil
}

// writePrivate writes b to path, readable by its owner only (it holds credentials), making the
// directories on the way: the README writes under _output/, which a fresh clone does not have.
func writePrivate(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// workloadKubeconfig reads the kubeconfig the claim's status names, else Cluster API's
// <cluster>-kubeconfig Secret of the Cluster composed for it.
func workloadKubeconfig(ctx context.Context, kube client.Reader, ns, name string) ([]byte, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return nil, errors.Wrapf(err, errGetClaim, ns, name)
	}
	secret, _, _ := unstructured.NestedString(u.Object, "status", "kubeconfigSecretName")
	if secret == "" {
		clusters := &clusterv1.ClusterList{}
		if err := kube.List(ctx, clusters, client.InNamespace(ns), client.MatchingLabels{compositeLabel: name}); err != nil {
			return nil, errors.Wrapf(err, errListClusters, ns, name)
		}
		if len(clusters.Items) != 1 {
			return nil, errors.Errorf(errNoKubeconfigYet, ns, name, name, ns)
		}
		secret = clusters.Items[0].Name + "-kubeconfig"
	}
	s := &corev1.Secret{}
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, s); err != nil {
		return nil, errors.Wrapf(err, errGetSecret, ns, secret)
	}
	b := s.Data[kubeconfigKey]
	if len(b) == 0 {
		return nil, errors.Errorf(errNoKey, ns, secret, kubeconfigKey)
	}
	return b, nil
}
