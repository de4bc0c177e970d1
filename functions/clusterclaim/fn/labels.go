/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan-dev/capstan/apis/platform/v1alpha1"
)

// reservedDomains own the label and taint keys under them (and their subdomains): Kubernetes,
// Cluster API and Crossplane set them, and the kubelet refuses most of them from --node-labels.
var reservedDomains = []string{"kubernetes.io", "k8s.io", "x-k8s.io", "crossplane.io", "capstan.dev"}

// userPrefix is the one prefix under a reserved domain that is the user's: Cluster API keeps the
// labels under it in sync from Machines to Nodes.
const userPrefix = "node.cluster.x-k8s.io"

// validateLabels checks that every label is one Kubernetes accepts and no reserved key.
func validateLabels(path *field.Path, labels map[string]string) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		p := path.Key(k)
		errs = append(errs, validateKey(p, k)...)
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			errs = append(errs, fieldErr(p, "value %q: %s", labels[k], msg))
		}
	}
	return errs
}

// validateTaints checks that every taint is one Kubernetes accepts, no reserved key, and no
// key and effect twice.
func validateTaints(path *field.Path, taints []v1alpha1.Taint) []error {
	var errs []error
	seen := map[v1alpha1.Taint]bool{}
	for i, t := range taints {
		p := path.Index(i)
		errs = append(errs, validateKey(p.Child("key"), t.Key)...)
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			errs = append(errs, fieldErr(p.Child("value"), "%q: %s", t.Value, msg))
		}
		ke := v1alpha1.Taint{Key: t.Key, Effect: t.Effect}
		if seen[ke] {
			errs = append(errs, fieldErr(p, "duplicate taint %s:%s", t.Key, t.Effect))
		}
		seen[ke] = true
	}
	return errs
}

// validateKey checks a label or taint key: a qualified name outside the reserved domains.
func validateKey(p *field.Path, key string) []error {
	var errs []error
	for _, msg := range validation.IsQualifiedName(key) {
		errs = append(errs, fieldErr(p, "key %q: %s", key, msg))
	}
	if prefix, _, ok := strings.Cut(key, "/"); ok && prefix != userPrefix {
		for _, d := range reservedDomains {
			if prefix == d || strings.HasSuffix(prefix, "."+d) {
				errs = append(errs, fieldErr(p, "key %q: prefix %s is under %s, which is reserved", key, prefix, d))
			}
		}
	}
	return errs
}
