//go:build tools

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package tools pins the Crossplane core command this module builds.
package tools

import _ "github.com/crossplane/crossplane/v2/cmd/crossplane"
