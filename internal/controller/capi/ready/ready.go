/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package ready sets the Ready condition of Capstan's Cluster API infrastructure objects, the
// condition Cluster API mirrors into Clusters and Machines.
package ready

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cluster-api/util/conditions"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
)

const errSummary = "cannot set the Ready condition"

// Object is a Capstan infrastructure object with conditions.
type Object interface {
	conditions.Setter
	GetDeletionTimestamp() *metav1.Time
}

// Set sets o's Ready condition: while o is being deleted, false with reason Deleting and the
// message of the condition named by deleting; otherwise the summary of the conditions of types.
func Set(o Object, deleting string, types ...string) error {
	if !o.GetDeletionTimestamp().IsZero() {
		conditions.Set(o, metav1.Condition{
			Type: infrav1.ReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.DeletingReason,
			Message: conditions.GetMessage(o, deleting),
		})
		return nil
	}
	return errors.Wrap(conditions.SetSummaryCondition(o, o, infrav1.ReadyCondition,
		conditions.ForConditionTypes(types),
		conditions.CustomMergeStrategy{MergeStrategy: conditions.DefaultMergeStrategy(
			conditions.ComputeReasonFunc(conditions.GetDefaultComputeMergeReasonFunc(
				infrav1.NotReadyReason, infrav1.ReadyUnknownReason, infrav1.ReadyReason)),
		)},
	), errSummary)
}
