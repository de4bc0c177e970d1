/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// TestCAPIWebhooksAdmit runs Cluster API v1.14.2's own admission webhooks (ClusterClass
// validation; Cluster defaulting and validation against its class) on what the function composes
// for every example, against the class it composes or the shared class it names. They check what
// no schema can: that the topology matches the class (machine deployment classes, health checks,
// variables and their schemas, names).
func TestCAPIWebhooksAdmit(t *testing.T) {
	if err := feature.MutableGates.Set(string(feature.ClusterTopology) + "=true"); err != nil {
		t.Fatal(err)
	}
	s := runtime.NewScheme()
	if err := clusterv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	input := compositionInput(t)

	for _, path := range examples(t) {
		objs := desiredObjects(settled(t, input, readDocs(t, path)[0]))
		if _, ok := objs[resClusterClass]; !ok {
			objs[resClusterClass] = sharedClass(t)
		}
		t.Run(baseName(path), func(t *testing.T) {
			class := &clusterv1.ClusterClass{}
			cl := &clusterv1.Cluster{}
			for name, into := range map[string]runtime.Object{resClusterClass: class, resCluster: cl} {
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[name], into); err != nil {
					t.Fatal(err)
				}
			}

			ccw := &admission.ClusterClass{Client: fake.NewClientBuilder().WithScheme(s).Build()}
			if _, err := ccw.ValidateCreate(ctx, class); err != nil {
				t.Errorf("the ClusterClass webhook refuses the composed class: %v", err)
			}

			// The Cluster webhook only checks a Cluster against a class the ClusterClass
			// controller has reconciled.
			class.Generation, class.Status.ObservedGeneration = 1, 1
			class.Status.Conditions = []metav1.Condition{{Type: clusterv1.ClusterClassVariablesReadyCondition, Status: metav1.ConditionTrue, Reason: "VariablesReady"}}
			for _, v := range class.Spec.Variables {
				class.Status.Variables = append(class.Status.Variables, clusterv1.ClusterClassStatusVariable{Name: v.Name, Definitions: []clusterv1.ClusterClassStatusVariableDefinition{
					{From: clusterv1.VariableDefinitionFromInline, Required: v.Required, Schema: v.Schema},
				}})
			}
			cw := &admission.Cluster{Client: fake.NewClientBuilder().WithScheme(s).WithObjects(class).Build()}
			if err := cw.Default(ctx, cl); err != nil {
				t.Errorf("the Cluster defaulting webhook refuses the composed Cluster: %v", err)
			}
			if _, err := cw.ValidateCreate(ctx, cl); err != nil {
				t.Errorf("the Cluster webhook refuses the composed Cluster: %v", err)
			}

			// And it can refuse: a pool whose class the class does not define.
			bad := cl.DeepCopy()
			bad.Spec.Topology.Workers.MachineDeployments[0].Class = "no-such-class"
			if _, err := cw.ValidateCreate(ctx, bad); err == nil {
				t.Error("the Cluster webhook admits a pool of an undefined class; the check above proves nothing")
			}
		})
	}
}

// sharedClass is the ClusterClass of examples/platform, which the shared-class example names.
func sharedClass(t *testing.T) map[string]any {
	t.Helper()
	for _, o := range readDocs(t, sharedClassFile) {
		if o["kind"] == "ClusterClass" {
			return o
		}
	}
	t.Fatalf("%s holds no ClusterClass", sharedClassFile)
	return nil
}
