//go:build e2e && scale

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// An auditEvent is what the request count reads of an audit log's line.
type auditEvent struct {
	UserAgent  string `json:"userAgent"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	ObjectRef  *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
}

// logRequests counts the audit log's requests by client (the user agent's program), verb and
// resource, dry runs apart, and logs the most frequent: which component's requests load the API
// server.
func logRequests(t *testing.T, path string, top int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("audit log: %v", err)
		return
	}
	defer f.Close()
	counts, clients := map[string]int{}, map[string]int{}
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		e := auditEvent{}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		client, _, _ := strings.Cut(e.UserAgent, "/")
		what := "-"
		if e.ObjectRef != nil {
			what = strings.TrimSuffix(e.ObjectRef.Resource+"/"+e.ObjectRef.Subresource, "/")
		}
		verb := e.Verb
		if strings.Contains(e.RequestURI, "dryRun=All") {
			verb += " (dry run)"
		}
		counts[fmt.Sprintf("%-24s %-18s %s", client, verb, what)]++
		clients[client]++
		total++
	}
	t.Logf("SCALE: %d API requests in the audit log", total)
	for _, c := range byCount(clients) {
		t.Logf("SCALE: requests of %-24s %7d (%4.1f%%)", c, clients[c], 100*float64(clients[c])/float64(total))
	}
	for _, k := range byCount(counts)[:min(top, len(counts))] {
		t.Logf("SCALE: requests %s %7d", k, counts[k])
	}
}

// byCount sorts a count's keys, most frequent first.
func byCount(m map[string]int) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(m[b]-m[a], strings.Compare(a, b)) })
}
