/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddressPool(t *testing.T) {
	cases := map[string]struct {
		entries []string
		want    []string
		err     string
	}{
		"Addresses":     {entries: []string{"10.0.0.5", "10.0.0.7"}, want: []string{"10.0.0.5", "10.0.0.7"}},
		"Range":         {entries: []string{"10.0.0.254-10.0.1.1"}, want: []string{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"}},
		"CIDR":          {entries: []string{"127.0.10.0/30"}, want: []string{"127.0.10.1", "127.0.10.2"}},
		"CIDRUnmasked":  {entries: []string{"127.0.10.5/30"}, want: []string{"127.0.10.5", "127.0.10.6"}},
		"HostCIDR":      {entries: []string{"10.1.1.1/32"}, want: []string{"10.1.1.1"}},
		"IPv6":          {entries: []string{"fd00::/127"}, want: []string{"fd00::", "fd00::1"}},
		"Empty":         {err: "at least one address"},
		"NotAnAddress":  {entries: []string{"10.0.0.1", "vip"}, err: "addresses[1] \"vip\""},
		"BackwardRange": {entries: []string{"10.0.0.9-10.0.0.1"}, err: "addresses[0]"},
		"MixedFamilies": {entries: []string{"10.0.0.1-fd00::1"}, err: "one family"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := parseAddressPool(tc.entries)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseAddressPool(%q): want an error containing %q, got %v", tc.entries, tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			p.each(func(a netip.Addr) bool { got = append(got, a.String()); return true })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
		})
	}
}
