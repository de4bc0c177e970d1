/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// readOnly returns a copy of cfg whose requests may read anything but write only as a dry run,
// so that a plan cannot change the plane whatever the code it runs tries.
func readOnly(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.Wrap(func(rt http.RoundTripper) http.RoundTripper { return dryRunOnly{rt} })
	return out
}

type dryRunOnly struct{ next http.RoundTripper }

func (d dryRunOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		ok, err := isDryRun(r)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("a plan changes nothing: refused %s %s", r.Method, r.URL.Path)
		}
	}
	return d.next.RoundTrip(r)
}

// isDryRun reports whether a write is a dry run: in its query, or for a delete in the
// DeleteOptions of its body.
func isDryRun(r *http.Request) (bool, error) {
	if r.URL.Query().Get("dryRun") == metav1.DryRunAll {
		return true, nil
	}
	if r.Method != http.MethodDelete || r.Body == nil {
		return false, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// Built-in kinds are deleted with protobuf DeleteOptions, custom ones with JSON.
	opts := &metav1.DeleteOptions{}
	if _, _, err := clientgoscheme.Codecs.UniversalDeserializer().Decode(body, nil, opts); err != nil {
		if err := json.Unmarshal(body, opts); err != nil {
			return false, nil //nolint:nilerr // not DeleteOptions: not a dry run
		}
	}
	return slices.Contains(opts.DryRun, metav1.DryRunAll), nil
}
