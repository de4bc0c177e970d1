/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// NOTE: these lines belong in apis/generate.go beside the provider's groups; they live here until
// that file exists. controller-gen writes the ClusterClaim CRD only as an intermediate (under
// .cache); xrdgen wraps its schema into the XRD the configuration package ships.

//go:generate ../../.cache/tools/bin/controller-gen object:headerFile=../../hack/boilerplate.go.txt paths=./v1alpha1/...
//go:generate ../../.cache/tools/bin/controller-gen crd:crdVersions=v1 paths=./v1alpha1/... output:crd:artifacts:config=../../.cache/generated/platform
//go:generate go run ./xrdgen --crd=../../.cache/generated/platform/platform.capstan.dev_clusterclaims.yaml --out=../../package/configuration/xrd.yaml

// Package platform holds the Capstan platform API: what developers file.
package platform
