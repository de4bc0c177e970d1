/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xcrd"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"

	"github.com/capstan-dev/capstan/functions/clusterclaim/internal/schemacheck"
)

// The CRDs the provider installs: Cluster API v1.14.2's (copied unchanged from the module) and
// Capstan's infrastructure kinds.
var crdGlobs = []string{"../../../cluster/crds/capi/*.yaml", "../../../cluster/crds/infrastructure/*.yaml"}

func crdValidator(t *testing.T, crds ...*extv1.CustomResourceDefinition) *schemacheck.Validator {
	t.Helper()
	v, err := schemacheck.New(crds...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func installedCRDs(t *testing.T) []*extv1.CustomResourceDefinition {
	t.Helper()
	var paths []string
	for _, g := range crdGlobs {
		p, err := filepath.Glob(g)
		if err != nil || len(p) == 0 {
			t.Fatalf("no CRDs under %s: %v", g, err)
		}
		paths = append(paths, p...)
	}
	crds, err := schemacheck.ReadCRDs(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

// claimCRD is the CRD Crossplane v2.4 derives from the shipped XRD.
func claimCRD(t *testing.T) *extv1.CustomResourceDefinition {
	t.Helper()
	b, err := os.ReadFile(xrdFile)
	if err != nil {
		t.Fatal(err)
	}
	xrd := &xv1.CompositeResourceDefinition{}
	if err := yaml.Unmarshal(b, xrd); err != nil {
		t.Fatal(err)
	}
	crd, err := xcrd.ForCompositeResource(xrd)
	if err != nil {
		t.Fatal(err)
	}
	return crd
}

// TestComposedObjectsMatchCRDs checks every object the function composes, for every example and
// case, against the real CRD schemas: unknown fields, types, enums, patterns, list types and CEL.
func TestComposedObjectsMatchCRDs(t *testing.T) {
	v := crdValidator(t, installedCRDs(t)...)
	input := compositionInput(t)
	cases, _ := filepath.Glob(casesGlob)
	for _, path := range append(examples(t), cases...) {
		docs := readDocs(t, path)
		rsp := run(t, newRequest(t, input, docs[0], docs[1:]...))
		if len(docs) == 1 {
			rsp = settled(t, input, docs[0])
		}
		objs := desiredObjects(rsp)
		if len(objs) == 0 && len(summarize(rsp).Fatal) == 0 {
			t.Errorf("%s: composed nothing, and said nothing", path)
		}
		for _, name := range slices.Sorted(maps.Keys(objs)) {
			if errs := v.Validate(context.Background(), objs[name]); len(errs) > 0 {
				t.Errorf("%s: composed resource %q would be refused:\n%v", path, name, errs.ToAggregate())
			}
		}
	}
}

// TestSchemaCheckRefuses proves the check can fail: objects Cluster API's CRDs refuse are refused.
func TestSchemaCheckRefuses(t *testing.T) {
	v := crdValidator(t, installedCRDs(t)...)
	cases := map[string]struct {
		reason string
		obj    string
		want   string
	}{
		"UnknownField": {
			reason: "A field the CRD does not know is an error, not silently pruned.",
			obj:    "{apiVersion: cluster.x-k8s.io/v1beta2, kind: Cluster, metadata: {name: a}, spec: {replicas: 3}}",
			want:   "spec.replicas: Forbidden: unknown field",
		},
		"ZeroPort": {
			reason: "Cluster API refuses apiServerPort 0, which a careless serializer writes.",
			obj:    "{apiVersion: cluster.x-k8s.io/v1beta2, kind: Cluster, metadata: {name: a}, spec: {clusterNetwork: {apiServerPort: 0}}}",
			want:   "spec.clusterNetwork.apiServerPort",
		},
		"UnknownKind": {
			reason: "A kind no CRD serves is an error.",
			obj:    "{apiVersion: cluster.x-k8s.io/v1beta1, kind: Widget, metadata: {name: a}}",
			want:   "no CRD serves this kind",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.obj), &obj); err != nil {
				t.Fatal(err)
			}
			errs := v.Validate(context.Background(), obj)
			if errs == nil || !strings.Contains(errs.ToAggregate().Error(), tc.want) {
				t.Errorf("%s\nValidate(...): want an error containing %q, got %v", tc.reason, tc.want, errs)
			}
		})
	}
}

// TestClaimAdmission applies the XRD's schema and CEL rules, as the API server would on create:
// every example is admitted, and impossible claims are refused with their rule's message.
func TestClaimAdmission(t *testing.T) {
	v := crdValidator(t, claimCRD(t))
	for _, path := range examples(t) {
		if errs := v.Validate(context.Background(), readDocs(t, path)[0]); len(errs) > 0 {
			t.Errorf("%s would be refused:\n%v", path, errs.ToAggregate())
		}
	}

	const head = "{apiVersion: platform.capstan.dev/v1alpha1, kind: ClusterClaim, metadata: {name: a, namespace: b}, spec: "
	cases := map[string]struct {
		reason string
		spec   string
		want   []string
	}{
		"EvenControlPlane": {
			reason: "etcd needs an odd quorum.",
			spec:   "{version: v1.35.4, controlPlane: {replicas: 2}}",
			want:   []string{"control plane replicas must be 1, 3 or 5"},
		},
		"ReplicasAndAutoscaling": {
			reason: "A pool is either fixed or autoscaled.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, autoscaling: {min: 1, max: 2}}]}",
			want:   []string{"set exactly one of replicas or autoscaling"},
		},
		"NeitherReplicasNorAutoscaling": {
			reason: "A pool must say how many machines it has.",
			spec:   "{version: v1.35.4, workers: [{name: a}]}",
			want:   []string{"set exactly one of replicas or autoscaling"},
		},
		"MinAboveMax": {
			reason: "Autoscaling bounds must be ordered.",
			spec:   "{version: v1.35.4, workers: [{name: a, autoscaling: {min: 3, max: 2}}]}",
			want:   []string{"autoscaling min must not exceed max"},
		},
		"DuplicatePool": {
			reason: "Pool names identify MachineDeployments.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1}, {name: a, replicas: 2}]}",
			want:   []string{"worker pool names must be unique"},
		},
		"BadCIDR": {
			reason: "CIDRs must parse.",
			spec:   "{version: v1.35.4, network: {pods: 10.0.0.0, services: 10.96.0.0/12}}",
			want:   []string{"must be a CIDR such as 192.168.0.0/16"},
		},
		"HostBits": {
			reason: "A range with host bits set is a typo more often than not.",
			spec:   "{version: v1.35.4, network: {pods: 10.244.1.0/16}}",
			want:   []string{"must have no host bits set, such as 192.168.0.0/16"},
		},
		"MixedFamilies": {
			reason: "A single-stack cluster has one IP family.",
			spec:   "{version: v1.35.4, network: {pods: 'fd00:10::/56', services: 10.96.0.0/12}}",
			want:   []string{"pods and services must be of one IP family"},
		},
		"Overlap": {
			reason: "Pod and service addresses must not collide.",
			spec:   "{version: v1.35.4, network: {pods: 10.96.0.0/16, services: 10.96.0.0/12}}",
			want:   []string{"pods and services must not overlap"},
		},
		"BadVersion": {
			reason: "Versions look like v1.x.y.",
			spec:   "{version: '1.35'}",
			want:   []string{`spec.version: Invalid value: "1.35"`},
		},
		"ClassWithoutClassRef": {
			reason: "Pool classes pick from a shared class only.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, class: x}]}",
			want:   []string{"spec.workers[].class needs spec.classRef"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := map[string]any{}
			if err := yaml.Unmarshal([]byte(head+tc.spec+"}"), &obj); err != nil {
				t.Fatal(err)
			}
			got := v.Validate(context.Background(), obj).ToAggregate()
			var missing []string
			for _, w := range tc.want {
				if got == nil || !strings.Contains(got.Error(), w) {
					missing = append(missing, w)
				}
			}
			if diff := cmp.Diff([]string(nil), missing); diff != "" {
				t.Errorf("%s\nValidate(...) = %v\nmissing messages: -want, +got:\n%s", tc.reason, got, diff)
			}
		})
	}
}
