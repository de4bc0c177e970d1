/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
)

// A Field is one field a change sets, changes or removes; nil is no value.
type Field struct {
	Path   string `json:"path"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

func (f Field) String() string {
	return fmt.Sprintf("%s: %s -> %s", f.Path, short(f.Before), short(f.After))
}

// short prints a value on one line: strings as they are, anything else as JSON.
func short(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ignored are the fields that every write changes or that are not the change's: bookkeeping
// and status.
var ignored = map[string]bool{
	"status": true, "metadata.managedFields": true, "metadata.resourceVersion": true,
	"metadata.generation": true, "metadata.uid": true, "metadata.creationTimestamp": true,
}

// fieldDiffs lists the fields that differ between two objects, by path: maps are walked, lists
// and scalars compared whole.
func fieldDiffs(before, after map[string]any) []Field {
	var out []Field
	walk("", before, after, &out)
	return out
}

func walk(path string, a, b any, out *[]Field) {
	if ignored[path] {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			walk(join(path, k), am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		// Lists of named items (pools, classes) are walked by name, as kubectl's JSONPath
		// filters would address them; other lists of one length item by item.
		if key := itemKey(al, bl); key != "" {
			walk(path, byKey(al, key), byKey(bl, key), out)
			return
		}
		if len(al) == len(bl) {
			for i := range al {
				walk(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
			}
			return
		}
	}
	if !same(a, b) {
		*out = append(*out, Field{Path: path, Before: a, After: b})
	}
}

// same compares two values as JSON: a whole number is the same whether it was decoded as an
// int64 or a float64.
func same(a, b any) bool {
	if equality.Semantic.DeepEqual(a, b) {
		return true
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// join appends a key to a path, quoting keys with dots as kubectl's JSONPath does.
func join(path, key string) string {
	if strings.ContainsAny(key, "./=") {
		key = "[" + key + "]"
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// itemKey is the field that names every item of both lists, if one does: name, else class.
func itemKey(a, b []any) string {
	for _, key := range []string{"name", "class"} {
		named := true
		for _, it := range slices.Concat(a, b) {
			m, ok := it.(map[string]any)
			if _, has := m[key].(string); !ok || !has {
				named = false
				break
			}
		}
		if named && len(a)+len(b) > 0 {
			return key
		}
	}
	return ""
}

// byKey turns a list of named items into a map by name.
func byKey(items []any, key string) map[string]any {
	out := make(map[string]any, len(items))
	for _, it := range items {
		m := it.(map[string]any)         //nolint:forcetypeassert // itemKey checked
		out[key+"="+m[key].(string)] = m //nolint:forcetypeassert // itemKey checked
	}
	return out
}
