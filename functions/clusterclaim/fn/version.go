/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
)

// validateUpgrade checks a version change of a running cluster the way Cluster API's Cluster
// webhook will, so the claim names the field rather than failing to apply its Cluster: never
// down, and, unless the class allows chained upgrades (by listing its versions), at most one
// minor version up at a time. current is the Cluster's version, "" before it exists.
func validateUpgrade(p *field.Path, current, next string, chained bool) error {
	if current == "" || current == next {
		return nil
	}
	from, err := version.ParseSemantic(current)
	if err != nil {
		return nil //nolint:nilerr // Not the claim's problem; Cluster API judges what it wrote.
	}
	to, err := version.ParseSemantic(next)
	if err != nil {
		return fieldErr(p, "%q is not a semantic version", next)
	}
	switch {
	case to.LessThan(from):
		return fieldErr(p, "cannot downgrade the cluster from %s to %s", current, next)
	case !chained && (to.Major() != from.Major() || to.Minor() > from.Minor()+1):
		return fieldErr(p, "cannot upgrade from %s to %s at once: upgrade one minor version at a time", current, next)
	}
	return nil
}
