/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package bench benchmarks the ClusterClaim function against crossplane-contrib's
// function-go-templating v0.9.2, each served over gRPC on a unix socket by a process of its own,
// with a no-op function as the cost of the call itself.
package bench

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/crossplane/function-sdk-go"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"
)

// envNoopSocket, when set, makes the test binary serve the no-op function on that socket instead
// of running tests, so that the baseline too is a process of its own and the benchmark's
// allocations are the client's only.
const envNoopSocket = "CAPSTAN_BENCH_NOOP_SOCKET"

func TestMain(m *testing.M) {
	if sock := os.Getenv(envNoopSocket); sock != "" {
		err := function.Serve(noop{},
			function.Listen("unix", sock),
			function.Insecure(true),
			// As the ClusterClaim function runs in the benchmark: no metrics server.
			function.WithMetricsServer(""))
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stopServers()
	os.Exit(code)
}

// noop is a composition function that does no work: it returns the request's desired state.
type noop struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

// RunFunction returns the desired state of the request unchanged.
func (noop) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return response.To(req, response.DefaultTTL), nil
}
