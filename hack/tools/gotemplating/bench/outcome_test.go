/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Annotations function-go-templating reads from a templated object and removes from it: the
// composition resource name and the ready state. They are the peer's input, not part of what
// it composes.
var peerAnnotations = []string{
	"gotemplating.fn.crossplane.io/composition-resource-name",
	"gotemplating.fn.crossplane.io/ready",
}

// An outcome is what a response asks Crossplane for, as plain JSON objects: the two functions
// must agree on it.
type outcome struct {
	// Resources are the desired composed resources and their ready states, by name.
	Resources map[string]composed
	// Composite is the desired composite resource: the claim's status.
	Composite map[string]any
	// Conditions are the conditions set on the claim.
	Conditions []condition
	// Results are the results of the call, fatal or not.
	Results []string
}

// composed is a desired composed resource.
type composed struct {
	Resource map[string]any
	Ready    string
}

// condition is a condition a function sets.
type condition struct {
	Type, Status, Reason, Message, Target string
}

// outcomeOf returns what the response asks for. NOTE: it leaves out the composite's ready state,
// which function-go-templating v0.9.2 cannot set (Crossplane derives it from the composed
// resources'), and the requirements, which only the ClusterClaim function needs.
func outcomeOf(rsp *fnv1.RunFunctionResponse) outcome {
	o := outcome{
		Resources: map[string]composed{},
		Composite: rsp.GetDesired().GetComposite().GetResource().AsMap(),
	}
	for name, r := range rsp.GetDesired().GetResources() {
		o.Resources[name] = composed{Resource: withoutPeerAnnotations(r.GetResource().AsMap()), Ready: r.GetReady().String()}
	}
	for _, c := range rsp.GetConditions() {
		o.Conditions = append(o.Conditions, condition{
			Type: c.GetType(), Status: c.GetStatus().String(), Reason: c.GetReason(),
			Message: c.GetMessage(), Target: c.GetTarget().String(),
		})
	}
	for _, r := range rsp.GetResults() {
		o.Results = append(o.Results, r.GetSeverity().String()+": "+r.GetMessage())
	}
	return o
}

// withoutPeerAnnotations drops the peer's annotations from an object, and its annotations when
// none are left: function-go-templating removes its own but keeps an empty map.
func withoutPeerAnnotations(obj map[string]any) map[string]any {
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		return obj
	}
	a, ok := md["annotations"].(map[string]any)
	if !ok {
		return obj
	}
	for _, k := range peerAnnotations {
		delete(a, k)
	}
	if len(a) == 0 {
		delete(md, "annotations")
	}
	return obj
}
