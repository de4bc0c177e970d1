/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package capi

import (
	"context"
	"time"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/cluster/crds"
)

const (
	errReadCRDs      = "cannot read embedded CRDs"
	errCRDEstablish  = "cannot wait for CRD to be established"
	establishTimeout = 60 * time.Second
)

// CRDOptions choose the embedded CRDs ApplyCRDs applies.
type CRDOptions struct {
	// ClusterAPI also applies Cluster API's CRDs. Leave it false when Cluster API is installed
	// by other means (--cluster-api=external): the Capstan infrastructure CRDs are always applied.
	ClusterAPI bool
}

// Provider labels Cluster API's own installs put on its CRDs (clusterctl reads them), by group.
var providerLabels = map[string]string{
	"cluster.x-k8s.io":              "cluster-api",
	"addons.cluster.x-k8s.io":       "cluster-api",
	"ipam.cluster.x-k8s.io":         "cluster-api",
	"runtime.cluster.x-k8s.io":      "cluster-api",
	"controlplane.cluster.x-k8s.io": "control-plane-kubeadm",
	"bootstrap.cluster.x-k8s.io":    "bootstrap-kubeadm",
}

// contractGroups are the groups whose CRDs Cluster API reads a contract label from: a
// ClusterClass's control plane and bootstrap templates.
var contractGroups = map[string]bool{
	"controlplane.cluster.x-k8s.io": true,
	"bootstrap.cluster.x-k8s.io":    true,
}

// NOTE: create is not limited by name (Kubernetes cannot), and patch is not either: the embedded
// CRDs are many and change with every Cluster API version.
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;create;patch

// ApplyCRDs applies the embedded CRDs with server-side apply and waits until the API server
// serves them.
func ApplyCRDs(ctx context.Context, c client.Client, o CRDOptions) error {
	all, err := crds.Infrastructure()
	if err != nil {
		return errors.Wrap(err, errReadCRDs)
	}
	if o.ClusterAPI {
		capi, err := crds.ClusterAPI()
		if err != nil {
			return errors.Wrap(err, errReadCRDs)
		}
		for _, crd := range capi {
			all = append(all, ForBundle(crd))
		}
	}
	for _, crd := range all {
		crd.SetGroupVersionKind(extv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		if err := Apply(ctx, c, crd); err != nil {
			return err
		}
	}
	for _, crd := range all {
		if err := waitEstablished(ctx, c, crd.GetName()); err != nil {
			return err
		}
	}
	return nil
}

// ForBundle returns a copy of an upstream Cluster API CRD as the bundled controllers serve it.
// Two changes, both what Cluster API's kustomize install does or makes unnecessary:
//   - only the storage version (v1beta2) is served. Upstream serves older versions through a
//     conversion webhook; the bundle has no conversion webhook, and every bundled controller
//     reads and writes v1beta2, so serving one version saves every conversion call.
//   - the labels upstream's kustomization adds: the provider label, and for the control plane and
//     bootstrap groups the contract label (cluster.x-k8s.io/v1beta2: v1beta2) that Cluster API's
//     topology controller reads to learn which version of a template kind to use.
func ForBundle(in *extv1.CustomResourceDefinition) *extv1.CustomResourceDefinition {
	crd := in.DeepCopy()
	for i := range crd.Spec.Versions {
		crd.Spec.Versions[i].Served = crd.Spec.Versions[i].Storage
	}
	labels := crd.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	group := crd.Spec.Group
	if p, ok := providerLabels[group]; ok {
		labels["cluster.x-k8s.io/provider"] = p
	}
	if contractGroups[group] {
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				labels["cluster.x-k8s.io/v1beta2"] = v.Name
			}
		}
	}
	crd.SetLabels(labels)
	return crd
}

// waitEstablished waits until the API server serves the CRD. It reads the CRD unstructured, so
// the caller's client needs no apiextensions kinds in its scheme.
func waitEstablished(ctx context.Context, c client.Client, name string) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, establishTimeout, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(extv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		if err := c.Get(ctx, types.NamespacedName{Name: name}, u); err != nil {
			last = err.Error()
			return false, nil //nolint:nilerr // NOTE: retried until the timeout; the last error is reported.
		}
		crd := &extv1.CustomResourceDefinition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
			return false, err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == extv1.Established && cond.Status == extv1.ConditionTrue {
				return true, nil
			}
			if cond.Type == extv1.NamesAccepted && cond.Status == extv1.ConditionFalse {
				last = cond.Message
			}
		}
		return false, nil
	})
	if err != nil && last != "" {
		err = errors.Errorf("%v (last: %s)", err, last)
	}
	return errors.Wrapf(err, "%s %s", errCRDEstablish, name)
}
