/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/utils/ptr"
)

func TestWebhookConfigurations(t *testing.T) {
	type want struct {
		mutating   int
		validating int
		// unreached are the webhooks whose client config does not reach the bundle's server.
		unreached []string
		// badCA are the webhooks without the CA bundle.
		badCA []string
	}
	svc := &admissionv1.ServiceReference{Namespace: "crossplane-system", Name: "capstan-provider-capstan", Port: ptr.To[int32](9443)}
	cases := map[string]struct {
		reason  string
		e       endpoint
		reaches func(admissionv1.WebhookClientConfig) bool
		want    want
	}{
		"LoopbackURL": {
			reason: "Every upstream webhook (8 mutating and 13 validating core, 1+3 kubeadm control plane, 1+2 kubeadm bootstrap) is reached by URL on the bundle's server and trusts its CA.",
			e:      endpoint{url: "https://127.0.0.1:9444", caBundle: []byte("ca")},
			reaches: func(c admissionv1.WebhookClientConfig) bool {
				return c.Service == nil && c.URL != nil && strings.HasPrefix(*c.URL, "https://127.0.0.1:9444/")
			},
			want: want{mutating: 10, validating: 18},
		},
		"InClusterService": {
			reason: "In a cluster every webhook is reached through the provider's Service, at its upstream path, and trusts Crossplane's CA.",
			e:      endpoint{service: svc, caBundle: []byte("ca")},
			reaches: func(c admissionv1.WebhookClientConfig) bool {
				return c.URL == nil && c.Service != nil && c.Service.Namespace == svc.Namespace && c.Service.Name == svc.Name &&
					ptr.Deref(c.Service.Port, 0) == 9443 && strings.HasPrefix(ptr.Deref(c.Service.Path, ""), "/")
			},
			want: want{mutating: 10, validating: 18},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mut, val, err := webhookConfigurations(tc.e)
			if err != nil {
				t.Fatalf("\n%s\nwebhookConfigurations(...): %v", tc.reason, err)
			}
			got := want{mutating: len(mut.Webhooks), validating: len(val.Webhooks)}
			check := func(name string, c admissionv1.WebhookClientConfig) {
				if !tc.reaches(c) {
					got.unreached = append(got.unreached, name)
				}
				if string(c.CABundle) != "ca" {
					got.badCA = append(got.badCA, name)
				}
			}
			for _, w := range mut.Webhooks {
				check(w.Name, w.ClientConfig)
			}
			for _, w := range val.Webhooks {
				check(w.Name, w.ClientConfig)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nwebhookConfigurations(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	// The Service reference is copied per webhook: one webhook's path is not another's.
	mut, _, err := webhookConfigurations(endpoint{service: svc})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := ptr.Deref(mut.Webhooks[0].ClientConfig.Service.Path, ""), ptr.Deref(mut.Webhooks[1].ClientConfig.Service.Path, ""); a == b {
		t.Errorf("two webhooks share the path %q: the Service reference is shared", a)
	}
	if svc.Path != nil {
		t.Errorf("webhookConfigurations changed the caller's Service reference: path %q", *svc.Path)
	}
}
