/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"google.golang.org/protobuf/types/known/structpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// clusterMayBeComposed reports whether the claim's Cluster can be composed now: it exists
// already, its class is a shared one, or Cluster API has reconciled the claim's own ClusterClass.
//
// NOTE: Cluster API's Cluster webhook holds the admission of a Cluster whose class is missing or
// not yet reconciled for up to two seconds per call, and Crossplane applies a claim's composed
// resources one after another in no set order. A Cluster applied before its class and templates
// stalls the whole apply, and the class cannot be reconciled until its templates exist: four to
// five seconds of a new claim's time were spent so. Composing the Cluster once the class is
// reconciled costs one more reconcile of the claim, which the class's status change triggers.
func clusterMayBeComposed(p *plan, observed map[string]*fnv1.Resource) bool {
	if _, ok := observed[resCluster]; ok || p.classRef != nil {
		return true
	}
	class, ok := observed[resClusterClass]
	return ok && classReconciled(class.GetResource())
}

// classReconciled is Cluster API's own test of the webhook (clusterClassIsReconciled in
// core/webhooks/admission/cluster.go): the class's status is of its current generation and its
// variables are not known to be invalid. Only the fields it needs are read from the struct.
func classReconciled(class *structpb.Struct) bool {
	generation := valueAt(class, "metadata", "generation").GetNumberValue()
	status := valueAt(class, "status").GetStructValue()
	if valueAt(status, "observedGeneration").GetNumberValue() != generation {
		return false
	}
	for _, c := range valueAt(status, "conditions").GetListValue().GetValues() {
		cond := c.GetStructValue()
		if valueAt(cond, "type").GetStringValue() == clusterv1.ClusterClassVariablesReadyCondition {
			return valueAt(cond, "status").GetStringValue() != string(metav1.ConditionFalse)
		}
	}
	return false
}

// valueAt returns the value at path in s, or nil when any step is missing.
func valueAt(s *structpb.Struct, path ...string) *structpb.Value {
	var v *structpb.Value
	for _, key := range path {
		v = s.GetFields()[key]
		s = v.GetStructValue()
	}
	return v
}
