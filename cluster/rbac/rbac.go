/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package rbac embeds the RBAC the provider needs beyond what Crossplane grants it. Crossplane's
// RBAC manager gives a provider only its package's CRDs and Secrets, ConfigMaps, Events and Leases,
// and package metadata cannot ask for more, so a platform team applies these beside the provider
// package. capstan/ is generated from the +kubebuilder:rbac markers of internal/controller;
// capi/ is Cluster API's core, kubeadm control plane and kubeadm bootstrap manager roles, copied
// from the module cache at the version go.mod pins; binding.yaml, hand-written, names the
// provider's ServiceAccount and binds it to every role.
package rbac

import (
	"bufio"
	"bytes"
	"embed"
	"io"
	"io/fs"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

//go:generate controller-gen rbac:roleName=capstan-manager-role paths=../../internal/controller/... output:rbac:artifacts:config=capstan
//go:generate sh copy-capi.sh

//go:embed capstan/*.yaml capi/*.yaml binding.yaml
var files embed.FS

// bindingFile is the hand-written DeploymentRuntimeConfig and ClusterRoleBindings.
const bindingFile = "binding.yaml"

const (
	errRead             = "cannot read embedded RBAC file"
	errParse            = "cannot parse embedded RBAC file"
	errNoServiceAccount = bindingFile + " has no DeploymentRuntimeConfig naming spec.serviceAccountTemplate.metadata.name"
)

// ClusterRoles returns Capstan's generated ClusterRole, then Cluster API's, each group sorted by
// file name.
func ClusterRoles() ([]*rbacv1.ClusterRole, error) {
	var out []*rbacv1.ClusterRole
	for _, dir := range []string{"capstan", "capi"} {
		names, err := fs.Glob(files, dir+"/*.yaml")
		if err != nil {
			return nil, errors.Wrap(err, errRead)
		}
		slices.Sort(names)
		for _, n := range names {
			docs, err := read(n)
			if err != nil {
				return nil, err
			}
			for _, d := range docs {
				r := &rbacv1.ClusterRole{}
				if err := yaml.UnmarshalStrict(d, r); err != nil {
					return nil, errors.Wrapf(err, "%s %s", errParse, n)
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Binding returns the objects of binding.yaml: the DeploymentRuntimeConfig that names the
// provider's ServiceAccount, and a ClusterRoleBinding to it per ClusterRole.
func Binding() ([]*unstructured.Unstructured, error) {
	docs, err := read(bindingFile)
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(docs))
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d, &u.Object); err != nil {
			return nil, errors.Wrapf(err, "%s %s", errParse, bindingFile)
		}
		out = append(out, u)
	}
	return out, nil
}

// ServiceAccount returns the name of the provider's ServiceAccount, as binding.yaml's
// DeploymentRuntimeConfig names it. Crossplane creates it in the namespace Crossplane runs in.
func ServiceAccount() (string, error) {
	objs, err := Binding()
	if err != nil {
		return "", err
	}
	for _, o := range objs {
		if o.GetKind() != "DeploymentRuntimeConfig" {
			continue
		}
		if n, _, _ := unstructured.NestedString(o.Object, "spec", "serviceAccountTemplate", "metadata", "name"); n != "" {
			return n, nil
		}
	}
	return "", errors.New(errNoServiceAccount)
}

// read splits an embedded file into its non-empty YAML documents.
func read(name string) ([][]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, errors.Wrapf(err, "%s %s", errRead, name)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var docs [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, errors.Wrapf(err, "%s %s", errParse, name)
		}
		o := map[string]any{}
		if err := yaml.Unmarshal(d, &o); err != nil {
			return nil, errors.Wrapf(err, "%s %s", errParse, name)
		}
		// NOTE: a document of comments only is no object.
		if len(o) > 0 {
			docs = append(docs, d)
		}
	}
}
