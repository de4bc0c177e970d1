//go:build tools

// Package tools pins the Crossplane core command this module builds.
package tools

import _ "github.com/crossplane/crossplane/v2/cmd/crossplane"
