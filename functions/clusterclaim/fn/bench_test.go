/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"context"
	"fmt"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
)

// BenchmarkRunFunction measures one RunFunction on claims of 1, 3 and 10 worker pools whose
// class, templates and Cluster already exist (the steady state Crossplane reconciles in), with the
// required resources Crossplane passes on its final call. (Its first call, which only states the
// requirements, returns before any work.)
func BenchmarkRunFunction(b *testing.B) {
	input := compositionInput(b)
	sizes := []string{"small", "medium", "large"}
	for _, pools := range []int{1, 3, 10} {
		claim := claimYAML(b, basicClaim)
		workers := make([]any, 0, pools)
		for i := range pools {
			workers = append(workers, map[string]any{
				"name": fmt.Sprintf("pool-%d", i), "size": sizes[i%len(sizes)], "replicas": 2,
				"labels": map[string]any{"pool": fmt.Sprintf("pool-%d", i)},
			})
		}
		claim["spec"].(map[string]any)["workers"] = workers
		observed := observedFrom(desiredObjects(settled(b, input, claim)))
		req := resolved(b, newRequest(b, input, claim, append(observed, cluster("True", nil))...))
		f := &Function{log: logging.NewNopLogger()}

		b.Run(fmt.Sprintf("pools=%d", pools), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.RunFunction(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
