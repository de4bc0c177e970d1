/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Code generation for every API group. Run `make generate` (it puts the pinned controller-gen and
// angryjet on PATH). Each block below generates one set of packages; add a block per destination.

// Provider package: managed resources and provider configs, CRDs into package/provider/crds.
//go:generate rm -rf ../package/provider/crds
//go:generate controller-gen object:headerFile=../hack/boilerplate.go.txt paths=./v1alpha1/... paths=./compute/... paths=./network/... crd:crdVersions=v1 output:artifacts:config=../package/provider/crds
//go:generate angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt ./v1alpha1/...
//go:generate angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt ./compute/...
//go:generate angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt ./network/...

// Platform API: the ClusterClaim XRD for the configuration package. controller-gen writes the CRD
// only as an intermediate under .cache; xrdgen wraps its schema into the XRD.
//go:generate controller-gen object:headerFile=../hack/boilerplate.go.txt paths=./platform/v1alpha1/...
//go:generate controller-gen crd:crdVersions=v1 paths=./platform/v1alpha1/... output:crd:artifacts:config=../.cache/generated/platform
//go:generate go run ./platform/xrdgen --crd=../.cache/generated/platform/platform.capstan.dev_clusterclaims.yaml --out=../package/configuration/xrd.yaml --default-composition=clusterclaims.platform.capstan.dev

// Cluster API infrastructure provider (CapstanCluster, CapstanMachine and templates): CRDs into
// cluster/crds/infrastructure, which the provider embeds and applies at start-up, not into the
// provider package, where Crossplane would make them managed resource definitions and drop their
// contract label.
//go:generate rm -rf ../cluster/crds/infrastructure
//go:generate controller-gen object:headerFile=../hack/boilerplate.go.txt crd:crdVersions=v1 paths=./infrastructure/... output:crd:artifacts:config=../cluster/crds/infrastructure

package apis
