/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-dev/capstan/internal/localplane"
)

// webhookCallsMetric counts the API server's calls of each admission webhook.
const webhookCallsMetric = "apiserver_admission_webhook_admission_duration_seconds"

// testWebhooksSkipNoOpUpdates updates a MachineDeployment without changing it, then with a
// change, and counts the API server's calls of its defaulting webhook: none for the first, one
// for the second.
func testWebhooksSkipNoOpUpdates(ctx context.Context, t *testing.T, p *localplane.Plane, c client.Client, ns string) {
	t.Helper()
	md := machineDeployment(ns, "no-op")
	if err := c.Create(ctx, md); err != nil {
		t.Fatalf("create MachineDeployment: %v", err)
	}
	defer func() {
		if err := c.Delete(ctx, md); err != nil {
			t.Errorf("delete MachineDeployment: %v", err)
		}
	}()
	const webhook = "default.machinedeployment.cluster.x-k8s.io"

	before := webhookUpdates(ctx, t, p, webhook)
	if err := c.Update(ctx, md); err != nil {
		t.Fatalf("update MachineDeployment unchanged: %v", err)
	}
	if got := webhookUpdates(ctx, t, p, webhook); got != before {
		t.Errorf("an update that changes nothing called %s %v times, want 0", webhook, got-before)
	}

	md.SetLabels(map[string]string{"changed": "true"})
	if err := c.Update(ctx, md); err != nil {
		t.Fatalf("update MachineDeployment with a label: %v", err)
	}
	if got := webhookUpdates(ctx, t, p, webhook); got != before+1 {
		t.Errorf("an update that changes a label called %s %v times, want 1", webhook, got-before)
	}
}

// webhookUpdates is how often the API server has called the webhook for updates.
func webhookUpdates(ctx context.Context, t *testing.T, p *localplane.Plane, webhook string) float64 {
	t.Helper()
	cs, err := kubernetes.NewForConfig(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		t.Fatalf("read the API server's metrics: %v", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse the API server's metrics: %v", err)
	}
	var n float64
	for _, m := range families[webhookCallsMetric].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["name"] == webhook && labels["operation"] == "UPDATE" {
			n += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return n
}
