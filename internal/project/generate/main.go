/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command generate writes upbound.yaml and the tests under tests/ (internal/project.Generate).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/capstan-dev/capstan/internal/project"
)

func main() {
	root := flag.String("root", ".", "The project's root.")
	flag.Parse()
	if err := project.Generate(*root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
