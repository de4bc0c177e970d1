/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project

import (
	"fmt"
	"reflect"
	"strings"
)

// assertAll checks that every assertion matches a rendered object of its apiVersion, kind and
// name, and returns a line per one that does not.
func assertAll(asserts, rendered []map[string]any) []string {
	var failures []string
	for i, a := range asserts {
		id := identity(a)
		var got map[string]any
		for _, r := range rendered {
			if identity(r) == id {
				got = r
				break
			}
		}
		if got == nil {
			failures = append(failures, fmt.Sprintf("assertResources[%d] %s: not rendered", i, id))
			continue
		}
		if path, diff := subset(a, got, ""); diff != "" {
			failures = append(failures, fmt.Sprintf("assertResources[%d] %s: %s: %s", i, id, strings.TrimPrefix(path, "."), diff))
		}
	}
	return failures
}

func identity(o map[string]any) string {
	return fmt.Sprintf("%v %v %s", o["apiVersion"], o["kind"], name(o))
}

// subset reports the first path where want is not part of got: every key of a map want sets
// must be in got with a matching value; a list must have got's length, item by item.
func subset(want, got any, path string) (string, string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, fmt.Sprintf("want an object, got %v", got)
		}
		for _, k := range sortedKeys(w) {
			gv, ok := g[k]
			if !ok {
				return path + "." + k, "missing"
			}
			if p, d := subset(w[k], gv, path+"."+k); d != "" {
				return p, d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, fmt.Sprintf("want %d items, got %v", len(w), got)
		}
		for i := range w {
			if p, d := subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return p, d
			}
		}
	default:
		if !reflect.DeepEqual(normalize(want), normalize(got)) {
			return path, fmt.Sprintf("want %v, got %v", want, got)
		}
	}
	return "", ""
}

// normalize makes numbers from YAML and JSON compare equal.
func normalize(v any) any {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return v
}
