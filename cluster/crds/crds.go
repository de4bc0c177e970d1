/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package crds embeds the CRDs the provider applies at start-up instead of shipping them in its
// package: Crossplane would turn every CRD of a provider package into a managed resource
// definition and drop its labels. infrastructure/ is generated from apis/infrastructure;
// capi/ is Cluster API's core, kubeadm control plane and kubeadm bootstrap CRDs, copied
// unchanged from the module cache at the version go.mod pins.
package crds

import (
	"embed"
	"io/fs"
	"path"
	"slices"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

//go:generate sh copy-capi.sh

//go:embed capi/*.yaml infrastructure/*.yaml
var files embed.FS

const (
	errRead  = "cannot read embedded CRD"
	errParse = "cannot parse embedded CRD"
)

// ClusterAPI returns Cluster API's core, kubeadm control plane and kubeadm bootstrap CRDs as
// upstream generates them, sorted by name.
func ClusterAPI() ([]*extv1.CustomResourceDefinition, error) {
	return read("capi")
}

// Infrastructure returns the CRDs of Capstan's Cluster API infrastructure provider
// (CapstanCluster, CapstanMachine and their templates), sorted by name.
func Infrastructure() ([]*extv1.CustomResourceDefinition, error) {
	return read("infrastructure")
}

func read(dir string) ([]*extv1.CustomResourceDefinition, error) {
	names, err := fs.Glob(files, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, errors.Wrap(err, errRead)
	}
	slices.Sort(names)
	out := make([]*extv1.CustomResourceDefinition, 0, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, errors.Wrapf(err, "%s %s", errRead, n)
		}
		crd := &extv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(b, crd); err != nil {
			return nil, errors.Wrapf(err, "%s %s", errParse, n)
		}
		out = append(out, crd)
	}
	return out, nil
}
