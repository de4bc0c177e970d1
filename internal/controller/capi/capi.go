/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package capi makes the provider a Cluster API infrastructure provider: it applies the embedded
// Cluster API and Capstan infrastructure CRDs, and sets up the CapstanCluster and CapstanMachine
// controllers. Package bundle runs Cluster API's own controllers in the same process.
package capi
