//go:build tools

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package tools pins the crossplane CLI this module builds.
package tools

import _ "github.com/crossplane/cli/v2/cmd/crossplane"
