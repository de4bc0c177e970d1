/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// poolCounts are the claims' numbers of worker pools, as in the function's own benchmark.
var poolCounts = []int{1, 3, 10}

// TestSameDesiredState checks that the template composes what the ClusterClaim function does.
func TestSameDesiredState(t *testing.T) {
	s := startServers(t)
	for _, pools := range poolCounts {
		t.Run(fmt.Sprintf("pools=%d", pools), func(t *testing.T) {
			assertSame(t, s, steadyState(t, s.capstan.client, pools))
		})
	}
}

// assertSame fails unless both functions ask for the same desired state in the steady state.
func assertSame(t testing.TB, s *servers, r requests) {
	t.Helper()
	want := outcomeOf(call(t, s.capstan.client, r.capstan))
	if len(want.Resources) == 0 || len(want.Results) > 0 {
		t.Fatalf("the ClusterClaim function composed nothing: %v", want.Results)
	}
	got := outcomeOf(call(t, s.peer.client, r.peer))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("function-go-templating's desired state is not the ClusterClaim function's (-capstan +go-templating):\n%s", diff)
	}
}

// BenchmarkPeer measures one call of each function over gRPC, in the steady state of claims of
// 1, 3 and 10 worker pools, after checking that both compose the same. Allocations are the
// client's; server-cpu-ns/op is the serving process's CPU time, garbage collection included;
// x-capstan is go-templating's time per call over the ClusterClaim function's.
func BenchmarkPeer(b *testing.B) {
	s := startServers(b)
	for _, pools := range poolCounts {
		r := steadyState(b, s.capstan.client, pools)
		assertSame(b, s, r)
		b.Run(fmt.Sprintf("pools=%d", pools), func(b *testing.B) {
			perOp := map[string]time.Duration{}
			for _, f := range []struct {
				name string
				srv  *server
				req  *fnv1.RunFunctionRequest
			}{
				{"capstan", s.capstan, r.capstan},
				{"go-templating", s.peer, r.peer},
				{"noop", s.noop, r.noop},
			} {
				b.Run(f.name, func(b *testing.B) {
					b.ReportAllocs()
					cpu, ok := f.srv.cpuTime()
					for b.Loop() {
						if _, err := f.srv.client.RunFunction(context.Background(), f.req); err != nil {
							b.Fatal(err)
						}
					}
					perOp[f.name] = b.Elapsed() / time.Duration(b.N)
					if end, ok2 := f.srv.cpuTime(); ok && ok2 {
						b.ReportMetric(float64((end-cpu).Nanoseconds())/float64(b.N), "server-cpu-ns/op")
					}
					if ours, ok := perOp["capstan"]; ok && f.name == "go-templating" {
						b.ReportMetric(float64(perOp[f.name])/float64(ours), "x-capstan")
					}
				})
			}
			figure(pools, perOp)
		})
	}
}

// figure prints the comparison of one claim size, and the same net of the call itself.
func figure(pools int, perOp map[string]time.Duration) {
	ours, peer, call := perOp["capstan"], perOp["go-templating"], perOp["noop"]
	if ours == 0 || peer == 0 || call == 0 {
		return
	}
	fmt.Printf("FIGURE pools=%d: capstan %v/op, go-templating %v/op, noop %v/op; go-templating/capstan %.1fx (%.1fx net of the noop call)\n",
		pools, ours, peer, call, float64(peer)/float64(ours), float64(peer-call)/float64(ours-call))
}
