/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFieldDiffs(t *testing.T) {
	pools := func(ps ...map[string]any) map[string]any {
		items := make([]any, 0, len(ps))
		for _, p := range ps {
			items = append(items, p)
		}
		return map[string]any{"spec": map[string]any{"workers": items}}
	}
	cases := map[string]struct {
		before, after map[string]any
		want          []Field
	}{
		"Same": {
			before: map[string]any{"spec": map[string]any{"version": "v1.34.3"}},
			after:  map[string]any{"spec": map[string]any{"version": "v1.34.3"}},
		},
		"ScalarChanged": {
			before: map[string]any{"spec": map[string]any{"version": "v1.34.3"}},
			after:  map[string]any{"spec": map[string]any{"version": "v1.35.4"}},
			want:   []Field{{Path: "spec.version", Before: "v1.34.3", After: "v1.35.4"}},
		},
		"WholeNumbersOfEitherTypeAreEqual": {
			before: map[string]any{"spec": map[string]any{"port": int64(6443)}},
			after:  map[string]any{"spec": map[string]any{"port": float64(6443)}},
		},
		"BookkeepingAndStatusIgnored": {
			before: map[string]any{"metadata": map[string]any{"resourceVersion": "1", "generation": int64(1)}, "status": map[string]any{"ready": false}},
			after:  map[string]any{"metadata": map[string]any{"resourceVersion": "2", "generation": int64(2)}, "status": map[string]any{"ready": true}},
		},
		"KeyWithDotsQuoted": {
			before: map[string]any{"metadata": map[string]any{"labels": map[string]any{}}},
			after:  map[string]any{"metadata": map[string]any{"labels": map[string]any{"node.cluster.x-k8s.io/tier": "web"}}},
			want:   []Field{{Path: "metadata.labels[node.cluster.x-k8s.io/tier]", After: "web"}},
		},
		"NamedItemsByName": {
			before: pools(map[string]any{"name": "a", "replicas": int64(1)}),
			after:  pools(map[string]any{"name": "a", "replicas": int64(3)}, map[string]any{"name": "b", "replicas": int64(1)}),
			want: []Field{
				{Path: "spec.workers[name=a].replicas", Before: int64(1), After: int64(3)},
				{Path: "spec.workers[name=b]", After: map[string]any{"name": "b", "replicas": int64(1)}},
			},
		},
		"UnnamedItemsByIndex": {
			before: map[string]any{"spec": map[string]any{"args": []any{"a", "b"}}},
			after:  map[string]any{"spec": map[string]any{"args": []any{"a", "c"}}},
			want:   []Field{{Path: "spec.args[1]", Before: "b", After: "c"}},
		},
		"UnnamedListsOfOtherLengthsWhole": {
			before: map[string]any{"spec": map[string]any{"args": []any{"a"}}},
			after:  map[string]any{"spec": map[string]any{"args": []any{"a", "b"}}},
			want:   []Field{{Path: "spec.args", Before: []any{"a"}, After: []any{"a", "b"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fieldDiffs(tc.before, tc.after)); diff != "" {
				t.Errorf("fieldDiffs(...): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestFieldString(t *testing.T) {
	f := Field{Path: "spec.replicas", Before: int64(1), After: int64(3)}
	if got, want := f.String(), "spec.replicas: 1 -> 3"; got != want {
		t.Errorf("String(): got %q, want %q", got, want)
	}
	f = Field{Path: "metadata.labels", After: map[string]any{"tier": "web"}}
	if got, want := f.String(), `metadata.labels: (none) -> {"tier":"web"}`; got != want {
		t.Errorf("String(): got %q, want %q", got, want)
	}
}
