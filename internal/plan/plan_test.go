/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
)

// TestMakeNamesWhatTheFileLacks: a file that names no claim is refused before the plane is asked.
func TestMakeNamesWhatTheFileLacks(t *testing.T) {
	unreachable := &rest.Config{Host: "https://127.0.0.1:1"}
	cases := map[string]struct {
		claim map[string]any
		want  string
	}{
		"Empty":  {claim: map[string]any{}, want: "has no apiVersion, kind, metadata.name"},
		"NoName": {claim: map[string]any{"apiVersion": "platform.capstan.dev/v1alpha1", "kind": "ClusterClaim"}, want: "has no metadata.name"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Make(context.Background(), unreachable, &unstructured.Unstructured{Object: tc.claim})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Make(...): got %v, want an error saying it %s", err, tc.want)
			}
		})
	}
}
