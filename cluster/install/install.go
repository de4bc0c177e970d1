/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package install embeds the objects a platform team applies to install Capstan from its
// packages (after ../rbac): the ImageConfig that gives the provider its runtime config, and the
// Configuration. The local stack applies the same files.
package install

import (
	"embed"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

//go:embed imageconfig.yaml configuration.yaml
var files embed.FS

// ConfigurationName names the Configuration object configuration.yaml applies.
const ConfigurationName = "capstan"

// Files are the install manifests, in the order they are applied.
var Files = []string{"imageconfig.yaml", "configuration.yaml"}

const errParse = "cannot parse embedded install manifest %s"

// Objects returns the object of each of Files, in order.
func Objects() ([]*unstructured.Unstructured, error) {
	objs := make([]*unstructured.Unstructured, 0, len(Files))
	for _, f := range Files {
		b, err := files.ReadFile(f)
		if err != nil {
			return nil, errors.Wrapf(err, errParse, f)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			return nil, errors.Wrapf(err, errParse, f)
		}
		objs = append(objs, u)
	}
	return objs, nil
}
