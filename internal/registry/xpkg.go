/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package registry

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// xpkgAnnotation marks a package's layers by what they hold; "base" is the layer with package.yaml.
const xpkgAnnotation = "io.crossplane.xpkg"

// load reads an xpkg file, an image tarball. A tarball keeps no layer annotations, so
// `crossplane xpkg build` records them as config labels (io.crossplane.xpkg:<layer digest>) and
// `crossplane xpkg push` turns them back into annotations; load does the same, so the package
// manager finds the package layer instead of flattening every layer (the runtime binary's too).
//
// NOTE: crossplane-runtime's xpkg.AnnotateLayers does this, but its package imports cosign and
// sigstore: twenty lines here spare the binary those modules.
func load(path string) (v1.Image, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, errors.Wrapf(err, errLoad, path)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, errors.Wrapf(err, errLoad, path)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, errors.Wrapf(err, errLoad, path)
	}
	out := empty.Image
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return nil, errors.Wrapf(err, errLoad, path)
		}
		add := mutate.Addendum{Layer: l}
		if a, ok := cfg.Config.Labels[xpkgAnnotation+":"+d.String()]; ok {
			add.Annotations = map[string]string{xpkgAnnotation: a}
		}
		if out, err = mutate.Append(out, add); err != nil {
			return nil, errors.Wrapf(err, errLoad, path)
		}
	}
	out, err = mutate.ConfigFile(out, cfg)
	return out, errors.Wrapf(err, errLoad, path)
}
