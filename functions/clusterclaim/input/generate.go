/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// The function's input CRD ships in the function package.
//go:generate ../../../.cache/tools/bin/controller-gen object:headerFile=../../../hack/boilerplate.go.txt paths=./v1beta1/...
//go:generate ../../../.cache/tools/bin/controller-gen crd:crdVersions=v1 paths=./v1beta1/... output:crd:artifacts:config=../../../package/function/input

// Package input holds the ClusterClaim function's input: the platform team's choices.
package input
