/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWebhookConfigurations(t *testing.T) {
	type want struct {
		mutating   int
		validating int
		// badURLs are the webhook URLs that do not reach the bundle's server.
		badURLs []string
		// badCA are the webhooks without the CA bundle.
		badCA []string
		// services are the webhooks still pointing at an in-cluster Service.
		services []string
	}
	cases := map[string]struct {
		reason   string
		host     string
		port     int
		caBundle []byte
		want     want
	}{
		"LoopbackURL": {
			reason:   "Every upstream webhook (8 mutating and 13 validating core, 1+3 kubeadm control plane, 1+2 kubeadm bootstrap) is reached by URL on the bundle's server and trusts its CA.",
			host:     "127.0.0.1",
			port:     9444,
			caBundle: []byte("ca"),
			want:     want{mutating: 10, validating: 18},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mut, val, err := webhookConfigurations(tc.host, tc.port, tc.caBundle)
			if err != nil {
				t.Fatalf("\n%s\nwebhookConfigurations(...): %v", tc.reason, err)
			}
			got := want{mutating: len(mut.Webhooks), validating: len(val.Webhooks)}
			check := func(name string, url *string, svc bool, ca []byte) {
				if url == nil || !strings.HasPrefix(*url, "https://127.0.0.1:9444/") {
					got.badURLs = append(got.badURLs, name)
				}
				if string(ca) != string(tc.caBundle) {
					got.badCA = append(got.badCA, name)
				}
				if svc {
					got.services = append(got.services, name)
				}
			}
			for _, w := range mut.Webhooks {
				check(w.Name, w.ClientConfig.URL, w.ClientConfig.Service != nil, w.ClientConfig.CABundle)
			}
			for _, w := range val.Webhooks {
				check(w.Name, w.ClientConfig.URL, w.ClientConfig.Service != nil, w.ClientConfig.CABundle)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nwebhookConfigurations(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
