//go:build tools

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package tools pins the linter this module builds.
package tools

import _ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
