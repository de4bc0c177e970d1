/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/fake"
)

// counting is a cloud that counts the calls that reach it.
func counting(calls *int) *fake.Driver {
	return &fake.Driver{
		MockCreateInstance: func(context.Context, string, cloud.InstanceSpec) (*cloud.Instance, error) {
			*calls++
			return &cloud.Instance{}, nil
		},
		MockDeleteInstance: func(context.Context, string) error { *calls++; return nil },
		MockGetInstance:    func(context.Context, string) (*cloud.Instance, error) { *calls++; return &cloud.Instance{}, nil },
		MockCreateLoadBalancer: func(context.Context, string, cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
			*calls++
			return &cloud.LoadBalancer{}, nil
		},
		MockDeleteLoadBalancer: func(context.Context, string) error { *calls++; return nil },
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	// Draws cycle through 0..99, so a percentage fails exactly that many of 100 calls.
	next := int32(0)
	cycle := func() int32 { n := next; next = (next + 1) % 100; return n }

	cases := map[string]struct {
		reason       string
		f            Faults
		call         func(d cloud.Driver) error
		wantFailures int
		wantMessage  string
	}{
		"CreateErrors": {
			reason:       "A create error percentage refuses that share of creations, naming the fault.",
			f:            Faults{CreateErrorPercent: 30, Draw: cycle},
			call:         func(d cloud.Driver) error { _, err := d.CreateInstance(ctx, "i", cloud.InstanceSpec{}); return err },
			wantFailures: 30,
			wantMessage:  "injected fault: the cloud refused to create instance i (createErrorPercent 30)",
		},
		"DeleteErrors": {
			reason:       "A delete error percentage refuses that share of deletions.",
			f:            Faults{DeleteErrorPercent: 10, Draw: cycle},
			call:         func(d cloud.Driver) error { return d.DeleteLoadBalancer(ctx, "lb") },
			wantFailures: 10,
			wantMessage:  "injected fault: the cloud refused to delete load balancer lb (deleteErrorPercent 10)",
		},
		"ReadsNeverFail": {
			reason: "Observing is never refused: only creations and deletions fail.",
			f:      Faults{CreateErrorPercent: 100, DeleteErrorPercent: 100, Draw: cycle},
			call:   func(d cloud.Driver) error { _, err := d.GetInstance(ctx, "i"); return err },
		},
		"NoFaults": {
			reason: "A zero percentage never fails.",
			f:      Faults{Draw: cycle},
			call: func(d cloud.Driver) error {
				_, err := d.CreateLoadBalancer(ctx, "lb", cloud.LoadBalancerSpec{})
				return err
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next = 0
			calls := 0
			d := Wrap(counting(&calls), tc.f)
			failures := 0
			for range 100 {
				if err := tc.call(d); err != nil {
					failures++
					if err.Error() != tc.wantMessage {
						t.Errorf("%s\nerror: got %q, want %q", tc.reason, err, tc.wantMessage)
					}
				}
			}
			if failures != tc.wantFailures || calls != 100-failures {
				t.Errorf("%s\n100 calls: %d failed and %d reached the cloud, want %d failed and the rest reached it", tc.reason, failures, calls, tc.wantFailures)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	calls := 0
	d := Wrap(counting(&calls), Faults{Latency: 50 * time.Millisecond})
	start := time.Now()
	if _, err := d.GetInstance(context.Background(), "i"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("a call with 50ms latency took %s", took)
	}

	// A caller that gives up does not wait out the latency, and the call never reaches the cloud.
	d = Wrap(counting(&calls), Faults{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := d.CreateInstance(ctx, "i", cloud.InstanceSpec{}); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("a call cancelled during the latency: got %v, want the context's error", err)
	}
	if calls != 1 {
		t.Errorf("calls that reached the cloud: %d, want only the first", calls)
	}
}
