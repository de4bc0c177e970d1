//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// offboardTimeout bounds how long deleting a team's namespace with two clusters may take.
const offboardTimeout = 4 * time.Minute

// TestNamespaceOffboarding is a team leaving the platform. It files two claims in the team's
// namespace whose claim and pool names join to the same string ("web" with pool "workers-a",
// "web-workers" with pool "a"), so their composed names would collide if composed names were
// ambiguous; both must become Ready. Then it deletes the namespace: the namespace must finish
// deleting, and the cloud must hold what it held before (no machine, no load balancer leaked).
func TestNamespaceOffboarding(t *testing.T) {
	// NOTE: runs beside the other parallel tests, after every serial one, on a cloud of its own.
	t.Parallel()
	ctx := context.Background()
	const team = "team-offboard"
	cloud := ownCloud(ctx, t, team, 28000, v1alpha1.InMemoryFaults{})
	before := inventoryOf(ctx, t, cloud.Name)

	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: team}}
	if err := env.kube.Create(ctx, nsObj); err != nil {
		t.Fatalf("create namespace %s: %v", team, err)
	}
	claims := map[string]string{"web": "workers-a", "web-workers": "a"}
	for name, pool := range claims {
		claim := claimObject(name, map[string]any{
			"version":           "v1.35.4",
			"workers":           []any{map[string]any{"name": pool, "replicas": int64(1)}},
			"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": cloud.Name},
		})
		claim.SetNamespace(team)
		if err := env.kube.Create(ctx, claim); err != nil {
			t.Fatalf("create claim %s: %v", name, err)
		}
	}
	var endpoints []string
	composedBy := map[string]string{}
	for name := range claims {
		claim := waitClaimIn(ctx, t, team, name, readyTimeout, "Ready", ready)
		ep, _, _ := unstructured.NestedString(claim.Object, "status", "controlPlaneEndpoint")
		endpoints = append(endpoints, ep)
		refs, _, _ := unstructured.NestedSlice(claim.Object, "spec", "crossplane", "resourceRefs")
		for _, r := range refs {
			ref, _ := r.(map[string]any)
			key := fmt.Sprint(ref["kind"], "/", ref["name"])
			if other, ok := composedBy[key]; ok {
				t.Errorf("claims %s and %s both composed %s", other, name, key)
			}
			composedBy[key] = name
		}
	}
	during := inventoryOf(ctx, t, cloud.Name)
	if during.instances < before.instances+4 || during.loadBalancers < before.loadBalancers+2 {
		t.Fatalf("the cloud holds %+v with two clusters up, %+v before: the count cannot prove anything", during, before)
	}

	start := time.Now()
	if err := env.kube.Delete(ctx, nsObj); err != nil {
		t.Fatalf("delete namespace %s: %v", team, err)
	}
	poll(ctx, t, "namespace "+team+" to finish deleting", offboardTimeout, func(ctx context.Context) (bool, error) {
		err := env.kube.Get(ctx, client.ObjectKeyFromObject(nsObj), &corev1.Namespace{})
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	t.Logf("FIGURE: namespace with 2 Ready claims deleted in %s", time.Since(start).Round(time.Second))

	if after := inventoryOf(ctx, t, cloud.Name); after != before {
		t.Errorf("the cloud holds %+v after the namespace is gone, %+v before it was made: leaked", after, before)
	}
	for _, ep := range endpoints {
		if conn, err := net.DialTimeout("tcp", ep, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("the control-plane endpoint %s still accepts connections", ep)
		}
	}
}

// inventory is what the provider's clouds hold.
type inventory struct{ instances, loadBalancers float64 }

// cloudInventory reads what every cloud of the provider holds from its metrics.
func cloudInventory(ctx context.Context, t *testing.T) inventory {
	t.Helper()
	return inventoryOf(ctx, t, "")
}

// inventoryOf reads what the cloud of one ClusterProviderConfig holds; "" sums every cloud.
func inventoryOf(ctx context.Context, t *testing.T, providerConfig string) inventory {
	t.Helper()
	families := metrics(ctx, t, env.stack.ProviderMetrics())
	return inventory{
		instances:     sum(families["capstan_cloud_instances"], providerConfig),
		loadBalancers: sum(families["capstan_cloud_load_balancers"], providerConfig),
	}
}

// metrics reads the Prometheus metrics served at url.
func metrics(ctx context.Context, t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("read the metrics at %s: %v", url, err)
	}
	defer rsp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rsp.Body)
	if err != nil {
		t.Fatalf("parse the metrics: %v", errors.Wrap(err, url))
	}
	return families
}

// sum adds the values of a gauge over its labels; a missing gauge is zero.
func sum(f *dto.MetricFamily, providerConfig string) float64 {
	var n float64
	for _, m := range f.GetMetric() {
		if providerConfig != "" && !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == "provider_config" && l.GetValue() == "ClusterProviderConfig/"+providerConfig
		}) {
			continue
		}
		n += m.GetGauge().GetValue()
	}
	return n
}
