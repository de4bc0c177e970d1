/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// summary is the part of a response a case cares about, with content hashes masked.
type summary struct {
	Fatal      []string
	Resources  map[string]string // composition resource name -> Kind/name and ready state
	XRReady    string
	Status     map[string]any
	Conditions []string
}

var hashSuffix = regexp.MustCompile(`-[0-9a-f]{10}\b`)

func summarize(rsp *fnv1.RunFunctionResponse) summary {
	s := summary{XRReady: rsp.GetDesired().GetComposite().GetReady().String()}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			s.Fatal = append(s.Fatal, r.GetMessage())
		}
	}
	for name, r := range rsp.GetDesired().GetResources() {
		if s.Resources == nil {
			s.Resources = map[string]string{}
		}
		o := fieldpath.Pave(r.GetResource().AsMap())
		kind, _ := o.GetString("kind")
		n, _ := o.GetString("metadata.name")
		s.Resources[hashSuffix.ReplaceAllString(name, "-HASH")] = fmt.Sprintf("%s/%s %s", kind, hashSuffix.ReplaceAllString(n, "-HASH"), r.GetReady())
	}
	if st, ok := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any); ok {
		s.Status = st
	}
	for _, c := range rsp.GetConditions() {
		s.Conditions = append(s.Conditions, fmt.Sprintf("%s=%s/%s: %s", c.GetType(), c.GetStatus(), c.GetReason(), c.GetMessage()))
	}
	return s
}

func claimYAML(t testing.TB, y string) map[string]any {
	t.Helper()
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

const basicClaim = `
apiVersion: platform.capstan.dev/v1alpha1
kind: ClusterClaim
metadata: {name: demo, namespace: team-a}
spec:
  version: v1.35.4
  workers:
  - name: default
    replicas: 2
`

// cluster is an observed Cluster as Cluster API reports it.
func cluster(available string, extra map[string]any) map[string]any {
	c := map[string]any{
		"apiVersion": "cluster.x-k8s.io/v1beta2",
		"kind":       "Cluster",
		"metadata": map[string]any{
			"name": "demo", "namespace": "team-a",
			"annotations": map[string]any{annotationResourceName: resCluster},
		},
		"spec": map[string]any{"controlPlaneEndpoint": map[string]any{"host": "127.0.0.1", "port": 20000}},
		"status": map[string]any{
			"phase":          "Provisioned",
			"initialization": map[string]any{"infrastructureProvisioned": true, "controlPlaneInitialized": true},
			"controlPlane":   map[string]any{"desiredReplicas": 1, "readyReplicas": 1, "versions": []any{map[string]any{"version": "v1.35.4", "replicas": 1}}},
			"workers":        map[string]any{"desiredReplicas": 2, "readyReplicas": 1},
			"conditions": []any{
				map[string]any{"type": "Available", "status": available, "reason": "Reason" + available, "message": "* WorkersAvailable: 1 of 2 available", "lastTransitionTime": "2026-01-01T00:00:00Z"},
				map[string]any{"type": "ControlPlaneAvailable", "status": "True", "reason": "Available", "lastTransitionTime": "2026-01-01T00:00:00Z"},
			},
		},
	}
	maps.Copy(c, extra)
	return c
}

func TestRunFunction(t *testing.T) {
	input := compositionInput(t)
	basic := claimYAML(t, basicClaim)
	composedBasic := desiredObjects(settled(t, input, basic))
	observedClass := observedFrom(composedBasic)
	withoutCluster := slices.DeleteFunc(slices.Clone(observedClass), func(o map[string]any) bool { return o["kind"] == "Cluster" })
	withoutClass := slices.DeleteFunc(slices.Clone(withoutCluster), func(o map[string]any) bool { return o["kind"] == "ClusterClass" })
	// classAt is the observed class at a generation, as Cluster API last reconciled it.
	classAt := func(generation, observedGeneration int64, variablesReady string) map[string]any {
		reconciled := withClassReconciled(map[string]map[string]any{resClusterClass: runtime.DeepCopyJSON(composedBasic[resClusterClass])})
		p := fieldpath.Pave(reconciled[resClusterClass])
		_ = p.SetValue("metadata.generation", generation)
		_ = p.SetValue("status.observedGeneration", observedGeneration)
		_ = p.SetValue("status.conditions[0].status", variablesReady)
		_ = p.SetValue("metadata.annotations["+annotationResourceName+"]", resClusterClass)
		return p.UnstructuredContent()
	}
	pending := map[string]any{
		"phase":        "Pending",
		"controlPlane": map[string]any{"desired": 1.0, "summary": "0/1"},
		"workers":      map[string]any{"desired": 2.0, "summary": "0/2"},
	}
	withoutKey := func(m map[string]string, key string) map[string]string {
		out := maps.Clone(m)
		delete(out, key)
		return out
	}
	withCluster := func(m map[string]string, ready string) map[string]string {
		out := maps.Clone(m)
		out[resCluster] = "Cluster/demo " + ready
		return out
	}

	allReady := map[string]string{
		"cluster":                         "Cluster/demo READY_TRUE",
		"clusterclass":                    "ClusterClass/demo READY_TRUE",
		"controlplane-template-HASH":      "KubeadmControlPlaneTemplate/demo.controlplane-HASH READY_TRUE",
		"cluster-template-HASH":           "CapstanClusterTemplate/demo.cluster-HASH READY_TRUE",
		"machine-template-small-HASH":     "CapstanMachineTemplate/demo.small-HASH READY_TRUE",
		"bootstrap-template-default-HASH": "KubeadmConfigTemplate/demo.default-HASH READY_TRUE",
	}
	notReady := map[string]string{}
	for k, v := range allReady {
		notReady[k] = v[:len(v)-len("READY_TRUE")] + "READY_FALSE"
	}
	classReady := maps.Clone(allReady)
	classReady["cluster"] = "Cluster/demo READY_FALSE"

	mirroredUnknown := func(first string) []string {
		return []string{
			first,
			"InfrastructureReady=STATUS_CONDITION_UNKNOWN/NotReported: the Cluster reports no InfrastructureReady condition yet",
			"ControlPlaneAvailable=STATUS_CONDITION_TRUE/Available: ",
			"WorkersAvailable=STATUS_CONDITION_UNKNOWN/NotReported: the Cluster reports no WorkersAvailable condition yet",
			"RemoteConnectionProbe=STATUS_CONDITION_UNKNOWN/NotReported: the Cluster reports no RemoteConnectionProbe condition yet",
			"TopologyReconciled=STATUS_CONDITION_UNKNOWN/NotReported: the Cluster reports no TopologyReconciled condition yet",
		}
	}
	observedStatus := map[string]any{
		"phase": "Provisioned", "controlPlaneEndpoint": "127.0.0.1:20000", "version": "v1.35.4",
		"controlPlane":         map[string]any{"desired": 1.0, "ready": 1.0, "summary": "1/1"},
		"workers":              map[string]any{"desired": 2.0, "ready": 1.0, "summary": "1/2"},
		"kubeconfigSecretName": "demo-kubeconfig",
	}

	classNotReconciled := summary{
		Resources: withoutKey(classReady, resCluster),
		XRReady:   "READY_FALSE",
		Status:    pending,
		Conditions: []string{"ClusterAvailable=STATUS_CONDITION_UNKNOWN/ClusterClassNotReconciled: " +
			"waiting for Cluster API to reconcile ClusterClass team-a/demo before the Cluster is composed"},
	}

	cases := map[string]struct {
		reason   string
		input    map[string]any
		claim    map[string]any
		observed []map[string]any
		want     summary
	}{
		"FirstRun": {
			reason: "Nothing exists yet: compose the class and its templates, none ready, and hold the Cluster until Cluster API has reconciled the class.",
			claim:  basic,
			want: summary{
				Resources: withoutKey(notReady, resCluster),
				XRReady:   "READY_FALSE",
				Status:    pending,
				Conditions: []string{"ClusterAvailable=STATUS_CONDITION_UNKNOWN/ClusterClassNotReconciled: " +
					"waiting for Cluster API to reconcile ClusterClass team-a/demo before the Cluster is composed"},
			},
		},
		"ClassNotReconciled": {
			reason:   "The class exists but Cluster API has not reconciled its current generation: still no Cluster.",
			claim:    basic,
			observed: append(slices.Clone(withoutClass), classAt(2, 1, "True")),
			want:     classNotReconciled,
		},
		"ClassVariablesInvalid": {
			reason:   "Cluster API found the class's variables invalid: the Cluster webhook would not check against it, so no Cluster.",
			claim:    basic,
			observed: append(slices.Clone(withoutClass), classAt(1, 1, "False")),
			want:     classNotReconciled,
		},
		"ClassReconciled": {
			reason:   "Cluster API has reconciled the class: compose the Cluster, and say it is awaited.",
			claim:    basic,
			observed: append(slices.Clone(withoutClass), classAt(1, 1, "True")),
			want: summary{
				Resources:  withCluster(classReady, "READY_FALSE"),
				XRReady:    "READY_FALSE",
				Status:     pending,
				Conditions: []string{"ClusterAvailable=STATUS_CONDITION_UNKNOWN/ClusterNotFound: waiting for Cluster team-a/demo to be created"},
			},
		},
		"ClusterNotAvailable": {
			reason:   "Templates exist but the Cluster is not Available: only the Cluster is unready, and ClusterAvailable says why in CAPI's words.",
			claim:    basic,
			observed: append(slices.Clone(withoutCluster), cluster("False", nil)),
			want: summary{
				Resources:  classReady,
				XRReady:    "READY_FALSE",
				Status:     observedStatus,
				Conditions: mirroredUnknown("ClusterAvailable=STATUS_CONDITION_FALSE/ReasonFalse: * WorkersAvailable: 1 of 2 available"),
			},
		},
		"ClusterAvailable": {
			reason:   "The claim is ready exactly when the Cluster reports Available=True.",
			claim:    basic,
			observed: append(slices.Clone(withoutCluster), cluster("True", nil)),
			want: summary{
				Resources:  allReady,
				XRReady:    "READY_TRUE",
				Status:     observedStatus,
				Conditions: mirroredUnknown("ClusterAvailable=STATUS_CONDITION_TRUE/ReasonTrue: * WorkersAvailable: 1 of 2 available"),
			},
		},
		"UnknownSize": {
			reason: "A size outside the catalogue is refused with the field path and the allowed sizes, and nothing is composed.",
			claim: claimYAML(t, basicClaim+`
  - {name: big, size: huge, replicas: 1}
`),
			observed: observedClass,
			want: summary{
				Fatal:   []string{`spec.workers[1].size: unknown size "huge" (allowed: small, medium, large)`},
				XRReady: "READY_UNSPECIFIED",
			},
		},
		"EveryProblem": {
			reason: "Every problem is reported at once, each naming its field.",
			claim: claimYAML(t, `
apiVersion: platform.capstan.dev/v1alpha1
kind: ClusterClaim
metadata: {name: demo, namespace: team-a}
spec:
  version: v1.20.0
  controlPlane: {replicas: 2}
  network: {pods: 10.0.0.0}
  workers:
  - {name: a, replicas: 1, autoscaling: {min: 1, max: 2}}
  - {name: a, autoscaling: {min: 3, max: 2}, class: x}
`),
			want: summary{
				Fatal: []string{`spec.version: version "v1.20.0" is not allowed (allowed: v1.34.3, v1.35.4); ` +
					`spec.controlPlane.replicas: must be 1, 3 or 5, not 2; ` +
					`spec.workers[0]: set exactly one of replicas or autoscaling; ` +
					`spec.workers[1].name: duplicate pool name "a"; ` +
					`spec.workers[1].autoscaling: need 0 <= min <= max, got min 3, max 2; ` +
					`spec.workers[1].class: only valid with spec.classRef; ` +
					`spec.network.pods: "10.0.0.0" is not a CIDR`},
				XRReady: "READY_UNSPECIFIED",
			},
		},
		"BadInput": {
			reason: "A platform team's broken input is refused, naming the input field.",
			input:  map[string]any{"apiVersion": "clusterclaim.fn.capstan.dev/v1beta1", "kind": "Input", "versions": []any{"v1.35.4"}},
			claim:  basic,
			want: summary{
				Fatal:   []string{"input.sizes: must list at least one size; input.machineImage: must not be empty"},
				XRReady: "READY_UNSPECIFIED",
			},
		},
		"MisspelledInput": {
			reason: "An input field the function does not know is refused rather than silently ignored.",
			input: func() map[string]any {
				in := maps.Clone(input)
				in["machineImages"] = "typo"
				return in
			}(),
			claim: basic,
			want: summary{
				Fatal:   []string{`cannot read the function input: strict decoding error: unknown field "machineImages"`},
				XRReady: "READY_UNSPECIFIED",
			},
		},
		"SharedClass": {
			reason: "With a shared class only the Cluster is composed; pools use the class's machine deployment classes.",
			claim: claimYAML(t, `
apiVersion: platform.capstan.dev/v1alpha1
kind: ClusterClaim
metadata: {name: demo, namespace: team-a}
spec:
  version: v1.35.4
  classRef: {name: capstan-standard, namespace: capstan-platform}
  workers:
  - {name: default, class: standard-worker, replicas: 1}
`),
			want: summary{
				Resources: map[string]string{"cluster": "Cluster/demo READY_FALSE"},
				XRReady:   "READY_FALSE",
				Status: map[string]any{
					"phase":        "Pending",
					"controlPlane": map[string]any{"desired": 1.0, "summary": "0/1"},
					"workers":      map[string]any{"desired": 1.0, "summary": "0/1"},
				},
				Conditions: []string{"ClusterAvailable=STATUS_CONDITION_UNKNOWN/ClusterNotFound: waiting for Cluster team-a/demo to be created"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := input
			if tc.input != nil {
				in = tc.input
			}
			got := summarize(run(t, newRequest(t, in, tc.claim, tc.observed...)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestTemplateRenames proves the immutable-template rule: changing a template's content gives it
// a new name (and composition resource name), and leaves the other templates' names alone.
func TestTemplateRenames(t *testing.T) {
	input := compositionInput(t)
	before := desiredObjects(run(t, newRequest(t, input, claimYAML(t, basicClaim))))
	after := desiredObjects(run(t, newRequest(t, input, claimYAML(t, basicClaim+`
    labels: {tier: web}
`))))
	gone, added := diffKeys(before, after)
	if len(gone) != 1 || len(added) != 1 || !regexp.MustCompile(`^bootstrap-template-default-`).MatchString(gone[0]+added[0]) {
		t.Errorf("labelling a pool must replace exactly its bootstrap template: gone %v, added %v", gone, added)
	}
	class := fieldpath.Pave(after[resClusterClass])
	ref, _ := class.GetString("spec.workers.machineDeployments[0].bootstrap.templateRef.name")
	if want, _ := fieldpath.Pave(after[added[0]]).GetString("metadata.name"); ref != want {
		t.Errorf("the ClusterClass must point at the new template: got %q, want %q", ref, want)
	}
}

func diffKeys(a, b map[string]map[string]any) (gone, added []string) {
	for k := range a {
		if _, ok := b[k]; !ok {
			gone = append(gone, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			added = append(added, k)
		}
	}
	return gone, added
}

// TestDeterministic runs the function twice on the same request and wants byte-identical output.
func TestDeterministic(t *testing.T) {
	input := compositionInput(t)
	for _, path := range examples(t) {
		req := newRequest(t, input, readDocs(t, path)[0])
		opts := proto.MarshalOptions{Deterministic: true}
		a, err := opts.Marshal(run(t, req))
		if err != nil {
			t.Fatal(err)
		}
		b, err := opts.Marshal(run(t, req))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s: two runs on the same request differ", path)
		}
	}
}

// TestHealthCheckEnabled: the composed class always defines checks, so the Cluster says whether
// they run; a shared class may define none, and Cluster API refuses enabled: true then, so the
// Cluster only says so when the claim does.
func TestHealthCheckEnabled(t *testing.T) {
	input := compositionInput(t)
	cases := map[string]struct {
		reason string
		spec   string
		want   any
	}{
		"ComposedClassDefault": {reason: "The input's default applies.", spec: "{version: v1.35.4}", want: true},
		"ComposedClassOff":     {reason: "The claim turns checks off.", spec: "{version: v1.35.4, healthChecks: {enabled: false}}", want: false},
		"SharedClassDefault":   {reason: "A shared class decides.", spec: "{version: v1.35.4, classRef: {name: capstan-standard, namespace: capstan-platform}}", want: nil},
		"SharedClassOn":        {reason: "The claim's explicit choice stands.", spec: "{version: v1.35.4, classRef: {name: capstan-standard, namespace: capstan-platform}, healthChecks: {enabled: true}}", want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			claim := claimYAML(t, "{apiVersion: platform.capstan.dev/v1alpha1, kind: ClusterClaim, metadata: {name: a, namespace: b}, spec: "+tc.spec+"}")
			c := fieldpath.Pave(desiredObjects(settled(t, input, claim))[resCluster])
			got, _ := c.GetValue("spec.topology.controlPlane.healthCheck.enabled")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nspec.topology.controlPlane.healthCheck.enabled: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
