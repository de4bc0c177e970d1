/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/controller/capi"
	"github.com/capstan-dev/capstan/internal/controller/capi/bundle"
	"github.com/capstan-dev/capstan/internal/localplane"
)

const waitFor = 60 * time.Second

// TestIntegrationBundle runs the bundled Cluster API controllers on a real management plane: the
// CRDs are applied, the webhooks answer, and the topology controller makes a Cluster from the
// example ClusterClass built on the Capstan templates.
func TestIntegrationBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a local management plane")
	}
	ctrl.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	p, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		t.Fatalf("localplane.Start(...): %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("p.Stop(): %v", err)
		}
	})

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, extv1.AddToScheme, clusterv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(p.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatalf("client.New(...): %v", err)
	}

	start := time.Now()
	if err := capi.ApplyCRDs(ctx, c, capi.CRDOptions{ClusterAPI: true}); err != nil {
		t.Fatalf("capi.ApplyCRDs(...): %v", err)
	}
	t.Logf("CRDs applied and established in %s", time.Since(start).Round(time.Millisecond))

	t.Run("CRDsServeV1beta2Only", func(t *testing.T) {
		crd := &extv1.CustomResourceDefinition{}
		if err := c.Get(ctx, types.NamespacedName{Name: "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io"}, crd); err != nil {
			t.Fatal(err)
		}
		served := map[string]bool{}
		for _, v := range crd.Spec.Versions {
			served[v.Name] = v.Served
		}
		want := map[string]bool{"v1beta1": false, "v1beta2": true}
		if diff := cmp.Diff(want, served); diff != "" {
			t.Errorf("served versions: -want, +got:\n%s", diff)
		}
		if got := crd.GetLabels()["cluster.x-k8s.io/v1beta2"]; got != "v1beta2" {
			t.Errorf("contract label: want v1beta2, got %q", got)
		}
	})

	b, err := bundle.New(ctx, p.Config, bundle.Options{})
	if err != nil {
		t.Fatalf("bundle.New(...): %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("b.Start(...): %v", err)
		}
	})

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "capi-test"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	t.Run("WebhooksDefault", func(t *testing.T) {
		var md *clusterv1.MachineDeployment
		eventually(t, "a MachineDeployment is defaulted by the webhook", func() error {
			md = machineDeployment(ns.Name, "md")
			return c.Create(ctx, md, client.DryRunAll)
		})
		if got := md.Spec.Rollout.Strategy.Type; got != clusterv1.RollingUpdateMachineDeploymentStrategyType {
			t.Errorf("spec.rollout.strategy.type: want %q, got %q", clusterv1.RollingUpdateMachineDeploymentStrategyType, got)
		}
	})

	t.Run("WebhooksSkipNoOpUpdates", func(t *testing.T) {
		testWebhooksSkipNoOpUpdates(ctx, t, p, c, ns.Name)
	})

	t.Run("TopologyFromClusterClass", func(t *testing.T) {
		start := time.Now()
		for _, f := range []string{"clusterclass.yaml", "cluster.yaml"} {
			for _, u := range readObjects(t, filepath.Join("..", "..", "..", "..", "examples", "capi", f)) {
				u.SetNamespace(ns.Name)
				eventually(t, "apply "+u.GetKind()+" "+u.GetName(), func() error {
					return c.Patch(ctx, u.DeepCopy(), client.Apply, client.FieldOwner("test"), client.ForceOwnership) //nolint:staticcheck // NOTE: unstructured objects from YAML.
				})
			}
		}
		eventually(t, "the ClusterClass is reconciled", func() error {
			class := &clusterv1.ClusterClass{}
			if err := c.Get(ctx, types.NamespacedName{Namespace: ns.Name, Name: "capstan"}, class); err != nil {
				return err
			}
			for _, cond := range class.Status.Conditions {
				if cond.Type == clusterv1.ClusterClassVariablesReadyCondition && cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == class.Generation {
					return nil
				}
			}
			return errors.Errorf("conditions %v", class.Status.Conditions)
		})
		var cl *clusterv1.Cluster
		eventually(t, "the topology controller makes the CapstanCluster", func() error {
			cl = &clusterv1.Cluster{}
			if err := c.Get(ctx, types.NamespacedName{Namespace: ns.Name, Name: "example"}, cl); err != nil {
				return err
			}
			if !cl.Spec.InfrastructureRef.IsDefined() || !cl.Spec.ControlPlaneRef.IsDefined() {
				return errors.Errorf("infrastructureRef %v, controlPlaneRef %v", cl.Spec.InfrastructureRef, cl.Spec.ControlPlaneRef)
			}
			infra := &unstructured.Unstructured{}
			infra.SetAPIVersion("infrastructure.cluster.x-k8s.io/v1alpha1")
			infra.SetKind(cl.Spec.InfrastructureRef.Kind)
			if err := c.Get(ctx, types.NamespacedName{Namespace: ns.Name, Name: cl.Spec.InfrastructureRef.Name}, infra); err != nil {
				return err
			}
			fds, _, _ := unstructured.NestedStringSlice(infra.Object, "spec", "failureDomains")
			if diff := cmp.Diff([]string{"fd-a", "fd-b", "fd-c"}, fds); diff != "" {
				return errors.Errorf("CapstanCluster spec.failureDomains: -want, +got:\n%s", diff)
			}
			return nil
		})
		eventually(t, "the topology controller makes the MachineDeployment", func() error {
			mds := &clusterv1.MachineDeploymentList{}
			if err := c.List(ctx, mds, client.InNamespace(ns.Name), client.MatchingLabels{clusterv1.ClusterNameLabel: "example"}); err != nil {
				return err
			}
			if len(mds.Items) != 1 {
				return errors.Errorf("%d MachineDeployments", len(mds.Items))
			}
			return nil
		})
		t.Logf("topology reconciled in %s", time.Since(start).Round(time.Millisecond))
	})
}

func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, waitFor, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// machineDeployment is the smallest MachineDeployment the webhooks admit, of Cluster "example".
func machineDeployment(ns, name string) *clusterv1.MachineDeployment {
	return &clusterv1.MachineDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: clusterv1.MachineDeploymentSpec{
			ClusterName: "example",
			Template: clusterv1.MachineTemplateSpec{Spec: clusterv1.MachineSpec{
				ClusterName: "example",
				Bootstrap:   clusterv1.Bootstrap{DataSecretName: ptr.To("data")},
				InfrastructureRef: clusterv1.ContractVersionedObjectReference{
					APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "CapstanMachineTemplate", Name: "m",
				},
			}},
		},
	}
}
