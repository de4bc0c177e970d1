/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package fn is the ClusterClaim composition function: it expands a claim into a ClusterClass,
// its templates and a Cluster. The function binary serves it; capstan plan runs it in-process.
package fn

import (
	"context"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	"github.com/capstan-dev/capstan/functions/clusterclaim/input/v1beta1"
)

const (
	errInput         = "cannot read the function input"
	errObservedXR    = "cannot read the observed ClusterClaim"
	errDesiredXR     = "cannot read the desired ClusterClaim"
	errDesiredCDs    = "cannot read the desired composed resources"
	errObservedCD    = "cannot read the observed Cluster"
	errCompose       = "cannot compose the cluster's resources"
	errFmtConvert    = "cannot convert %s to a composed resource"
	errSetStatus     = "cannot set the ClusterClaim's status"
	errSetDesiredXR  = "cannot set the desired ClusterClaim"
	errSetDesiredCDs = "cannot set the desired composed resources"
)

// Function composes a ClusterClaim into Cluster API topology.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log logging.Logger
}

// New returns the function, logging to log.
func New(log logging.Logger) *Function {
	return &Function{log: log}
}

// RunFunction composes the ClusterClass, its templates and the Cluster of the observed
// ClusterClaim, and reports the Cluster's state as the claim's status.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)

	in := &v1beta1.Input{}
	// Strict, so that a misspelled input field is an error rather than a silent default.
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(req.GetInput().AsMap(), in, true); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errInput))
		return rsp, nil
	}
	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errObservedXR))
		return rsp, nil
	}
	claim := &v1alpha1.ClusterClaim{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(oxr.Resource.UnstructuredContent(), claim); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errObservedXR))
		return rsp, nil
	}
	log := f.log.WithValues("claim", claim.GetName(), "namespace", claim.GetNamespace())

	// Crossplane fetches the objects the claim names and calls again with them; until then there
	// is nothing to check the claim against, so nothing to do.
	want := requirements(claim)
	rsp.Requirements = &fnv1.Requirements{Resources: want}
	refs, resolved, err := resolve(req, want)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	if !resolved {
		return rsp, nil
	}

	// NOTE: only the Cluster's content matters; the other observed resources are only looked up
	// by name, so they are not converted (that conversion is a third of RunFunction's time).
	observed := req.GetObserved().GetResources()
	cluster, err := observedCluster(observed)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errObservedCD))
		return rsp, nil
	}
	p, errs := admit(claim, in, refs, cluster)
	if len(errs) > 0 {
		return refuse(rsp, log, errs), nil
	}

	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errDesiredCDs))
		return rsp, nil
	}
	withCluster := clusterMayBeComposed(p, observed)
	obs := observe(p, cluster, withCluster)

	if err := compose(p, observed, desired, obs.available, withCluster); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errCompose))
		return rsp, nil
	}
	if err := response.SetDesiredComposedResources(rsp, desired); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errSetDesiredCDs))
		return rsp, nil
	}

	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, errDesiredXR))
		return rsp, nil
	}
	if err := setStatus(dxr, obs); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errSetStatus))
		return rsp, nil
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		response.Fatal(rsp, errors.Wrap(err, errSetDesiredXR))
		return rsp, nil
	}
	for _, c := range obs.conditions {
		setCondition(rsp, c)
	}
	return rsp, nil
}

// admit returns the plan of a claim that can work, or every reason it cannot: its own fields,
// then the objects it names. cluster is the claim's Cluster, nil before there is one.
func admit(c *v1alpha1.ClusterClaim, in *v1beta1.Input, refs references, cluster *clusterv1.Cluster) (*plan, []error) {
	var current string
	if cluster != nil {
		current = cluster.Spec.Topology.Version
	}
	p, errs := newPlan(c, in, current)
	if len(errs) > 0 {
		return nil, errs
	}
	if errs := validateReferences(p, refs, current); len(errs) > 0 {
		return nil, errs
	}
	p.kubeVIP = refs.providerConfig.Driver.VSphere != nil
	return p, nil
}

// refuse reports every problem of a claim that cannot work as one Fatal result. NOTE: returning
// only a Fatal result keeps what the claim already composed: Crossplane v2.4 stops the pipeline at
// a fatal result before it garbage-collects or applies any composed resource
// (internal/controller/apiextensions/composite/composition_functions.go, PipelineFatalError), so
// echoing the observed resources as desired is not needed.
func refuse(rsp *fnv1.RunFunctionResponse, log logging.Logger, errs []error) *fnv1.RunFunctionResponse {
	msg := joinErrors(errs)
	response.Fatal(rsp, errors.New(msg))
	log.Debug("Refused a claim that cannot work", "errors", msg)
	return rsp
}

// compose adds the plan's objects to the desired composed resources, each with an explicit ready
// state: templates and the class are ready once they exist, the Cluster once it is available.
// The Cluster is left out until withCluster (see clusterMayBeComposed).
func compose(p *plan, observed map[string]*fnv1.Resource, desired map[resource.Name]*resource.DesiredComposed, available, withCluster bool) error {
	var objs []composedObject
	if p.classRef == nil {
		var err error
		if objs, err = classObjects(p); err != nil {
			return err
		}
	}
	if withCluster {
		objs = append(objs, composedObject{name: resCluster, obj: clusterObject(p)})
	}
	for _, o := range objs {
		cd, err := toComposed(o.obj)
		if err != nil {
			return errors.Wrapf(err, errFmtConvert, o.name)
		}
		_, exists := observed[string(o.name)]
		ready := resource.ReadyFalse
		if (o.name == resCluster && available) || (o.name != resCluster && exists) {
			ready = resource.ReadyTrue
		}
		desired[o.name] = &resource.DesiredComposed{Resource: cd, Ready: ready}
	}
	return nil
}

// toComposed converts a typed object to a composed resource. NOTE: apimachinery's converter
// rather than the SDK's composed.From: Cluster API's types are written for encoding/json
// semantics (omitempty on integers, omitzero on structs), which the converter follows, while
// composed.From's JSON library keeps zero integers such as clusterNetwork.apiServerPort: 0, which
// the CRD refuses. It also skips a JSON round trip.
func toComposed(o runtime.Object) (*composed.Unstructured, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, err
	}
	// ObjectMeta's creationTimestamp has no omitzero; a function never sets it.
	if md, ok := u["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	cd := composed.New()
	cd.SetUnstructuredContent(u)
	return cd, nil
}

// observedCluster returns the observed Cluster, or nil when it does not exist yet.
func observedCluster(observed map[string]*fnv1.Resource) (*clusterv1.Cluster, error) {
	oc, ok := observed[resCluster]
	if !ok {
		return nil, nil
	}
	c := &clusterv1.Cluster{}
	return c, runtime.DefaultUnstructuredConverter.FromUnstructured(oc.GetResource().AsMap(), c)
}

// setStatus writes the observation into the desired claim's status, and its readiness. NOTE: the
// status is set on the object directly: the SDK's SetValue makes a JSON round trip of it, a tenth
// of RunFunction's time.
func setStatus(dxr *resource.Composite, o observation) error {
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&o.status)
	if err != nil {
		return err
	}
	dxr.Ready = resource.ReadyFalse
	if o.available {
		dxr.Ready = resource.ReadyTrue
	}
	dxr.Resource.Object["status"] = status
	return nil
}

func setCondition(rsp *fnv1.RunFunctionResponse, c condition) {
	var opt *response.ConditionOption
	switch c.Status {
	case metav1.ConditionTrue:
		opt = response.ConditionTrue(rsp, c.Type, c.Reason)
	case metav1.ConditionFalse:
		opt = response.ConditionFalse(rsp, c.Type, c.Reason)
	default:
		opt = response.ConditionUnknown(rsp, c.Type, c.Reason)
	}
	if c.Message != "" {
		opt.WithMessage(c.Message)
	}
}

// joinErrors lists every problem in one message, in the order they were found.
func joinErrors(errs []error) string {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
}
