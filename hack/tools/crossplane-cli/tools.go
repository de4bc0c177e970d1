//go:build tools

// Package tools pins the crossplane CLI this module builds.
package tools

import _ "github.com/crossplane/cli/v2/cmd/crossplane"
