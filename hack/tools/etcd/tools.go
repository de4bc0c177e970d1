//go:build tools

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package tools pins the etcd server this module builds.
package tools

import _ "go.etcd.io/etcd/server/v3"
