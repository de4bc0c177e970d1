/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// NOTE: these lines belong in apis/generate.go; they live here until that file exists. The CRDs go
// to cluster/crds/infrastructure, not to the provider package: the provider embeds them and applies
// them at start-up (see cluster/crds), because Crossplane would turn a CRD shipped in a provider
// package into a managed resource definition and drop its contract label.

//go:generate rm -rf ../../cluster/crds/infrastructure
//go:generate ../../.cache/tools/bin/controller-gen object:headerFile=../../hack/boilerplate.go.txt crd:crdVersions=v1 paths=./... output:crd:artifacts:config=../../cluster/crds/infrastructure

// Package infrastructure holds Capstan's Cluster API infrastructure provider API groups.
package infrastructure
