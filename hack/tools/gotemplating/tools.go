//go:build tools

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package tools pins function-go-templating, the peer of the ClusterClaim function's benchmark.
// Only its own go.mod's dependencies are in this module, so the binary is the one its release
// builds; the benchmark lives in a module of its own (bench/) for that reason.
package tools

import _ "github.com/crossplane-contrib/function-go-templating"
