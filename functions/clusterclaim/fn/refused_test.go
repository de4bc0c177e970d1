/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
)

// claimIn is a claim named name in namespace team-a with the given spec (YAML flow).
func claimIn(t *testing.T, name, spec string) map[string]any {
	t.Helper()
	return claimYAML(t, "{apiVersion: platform.capstan.dev/v1alpha1, kind: ClusterClaim, metadata: {name: "+name+", namespace: team-a}, spec: "+spec+"}")
}

// observedAt is the claim's Cluster as it runs version v.
func observedAt(v string) map[string]any {
	return cluster("True", map[string]any{"spec": map[string]any{"topology": map[string]any{
		"version": v, "classRef": map[string]any{"name": "demo"},
	}}})
}

// classWith is the shared example ClusterClass changed by edit.
func classWith(t *testing.T, edit func(spec map[string]any)) []map[string]any {
	t.Helper()
	objs := world(t)
	for _, o := range objs {
		if o["kind"] == "ClusterClass" {
			spec, _ := o["spec"].(map[string]any)
			edit(spec)
		}
	}
	return objs
}

// vsphereWith is the world with the vsphere driver settings of ClusterProviderConfig
// vsphere-sim changed by edit.
func vsphereWith(t *testing.T, edit func(vsphere map[string]any)) []map[string]any {
	t.Helper()
	objs := world(t)
	for _, o := range objs {
		if md, _ := o["metadata"].(map[string]any); o["kind"] == "ClusterProviderConfig" && md["name"] == "vsphere-sim" {
			spec, _ := o["spec"].(map[string]any)
			driver, _ := spec["driver"].(map[string]any)
			v, _ := driver["vsphere"].(map[string]any)
			edit(v)
		}
	}
	return objs
}

// TestRefusedClaims is the catalogue of claims that cannot become working clusters, each with
// the exact message the developer sees on the claim. Add a case with every new rule.
func TestRefusedClaims(t *testing.T) {
	input := compositionInput(t)
	withoutDefaultConfig := slices.DeleteFunc(world(t), func(o map[string]any) bool { return o["kind"] == "ClusterProviderConfig" })
	shared := "classRef: {name: capstan-standard, namespace: capstan-platform}"

	cases := map[string]struct {
		reason   string
		name     string
		spec     string
		observed []map[string]any
		world    []map[string]any
		want     string
	}{
		// Names.
		"NameNotALabel": {
			reason: "The claim's name is the Cluster's, which Cluster API writes into label values.",
			name:   "team.web", spec: "{version: v1.35.4}",
			want: `metadata.name: "team.web": must not contain dots`,
		},
		"NameTooLong": {
			reason: "A label value holds 63 characters at most.",
			name:   strings.Repeat("a", 64), spec: "{version: v1.35.4}",
			want: `metadata.name: "` + strings.Repeat("a", 64) + `": must be no more than 63 characters`,
		},

		// Networks that parse but cannot work.
		"HostBitsSet": {
			reason: "A range with host bits set is a typo more often than not.",
			spec:   "{version: v1.35.4, network: {pods: 10.244.1.0/16}}",
			want:   "spec.network.pods: 10.244.1.0/16 has host bits set: did you mean 10.244.0.0/16?",
		},
		"RangesOverlap": {
			reason: "Pod and service addresses must not collide.",
			spec:   "{version: v1.35.4, network: {pods: 10.96.0.0/16, services: 10.96.0.0/12}}",
			want:   "spec.network.services: pods 10.96.0.0/16 and services 10.96.0.0/12 overlap",
		},
		"PodsOverlapDefaultServices": {
			reason: "The field named is the one the claim wrote, not the platform's default.",
			spec:   "{version: v1.35.4, network: {pods: 10.128.0.0/16}}",
			want:   "spec.network.pods: pods 10.128.0.0/16 and services 10.128.0.0/12 overlap",
		},
		"MixedFamilies": {
			reason: "A single-stack cluster has one IP family.",
			spec:   "{version: v1.35.4, network: {pods: 'fd00:10::/56', services: 10.96.0.0/12}}",
			want:   "spec.network.services: pods fd00:10::/56 and services 10.96.0.0/12 must be of one IP family",
		},
		"PodsSmallerThanANode": {
			reason: "kube-controller-manager gives each Node a /24.",
			spec:   "{version: v1.35.4, network: {pods: 10.244.0.0/25}}",
			want:   "spec.network.pods: 10.244.0.0/25 is smaller than the /24 each Node takes",
		},
		"PodsTooFewNodes": {
			reason: "Every Node, surge included, needs a pod range.",
			spec:   "{version: v1.35.4, network: {pods: 10.244.0.0/23}, workers: [{name: a, replicas: 3}]}",
			want:   "spec.network.pods: 10.244.0.0/23 has room for 2 Nodes (a /24 each) but the cluster can have 6 during a rollout",
		},
		"PodsTooLarge": {
			reason: "kube-controller-manager splits a pod range into at most 2^16 node ranges.",
			spec:   "{version: v1.35.4, network: {pods: 8.0.0.0/7}}",
			want:   "spec.network.pods: 8.0.0.0/7 is too large: Nodes take a /24 each, so it must be a /8 or smaller",
		},
		"ServicesTooLarge": {
			reason: "kube-apiserver refuses a service range over 2^20 addresses.",
			spec:   "{version: v1.35.4, network: {services: 10.96.0.0/11}}",
			want:   "spec.network.services: 10.96.0.0/11 is too large: kube-apiserver takes at most a /12",
		},
		"ServicesTooSmall": {
			reason: "kubeadm gives cluster DNS the tenth service address.",
			spec:   "{version: v1.35.4, network: {services: 10.96.0.0/29}}",
			want:   "spec.network.services: 10.96.0.0/29 is too small: the cluster needs at least 16 addresses (a /28)",
		},
		"ReservedRange": {
			reason: "Loopback addresses never leave a node.",
			spec:   "{version: v1.35.4, network: {pods: 127.0.0.0/16}}",
			want:   "spec.network.pods: 127.0.0.0/16 overlaps the reserved range 127.0.0.0/8",
		},

		// Labels and taints Kubernetes refuses later.
		"LabelKeyInvalid": {
			reason: "Label keys are qualified names.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, labels: {-tier: web}}]}",
			want:   `spec.workers[0].labels[-tier]: key "-tier": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		},
		"LabelValueTooLong": {
			reason: "Label values hold 63 characters at most.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, labels: {tier: " + strings.Repeat("w", 64) + "}}]}",
			want:   `spec.workers[0].labels[tier]: value "` + strings.Repeat("w", 64) + `": must be no more than 63 bytes`,
		},
		"LabelReservedPrefix": {
			reason: "The kubelet refuses node-role labels from --node-labels; Kubernetes owns the domain.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, labels: {node-role.kubernetes.io/worker: ''}}]}",
			want:   `spec.workers[0].labels[node-role.kubernetes.io/worker]: key "node-role.kubernetes.io/worker": prefix node-role.kubernetes.io is under kubernetes.io, which is reserved`,
		},
		"LabelClusterAPIPrefix": {
			reason: "Cluster API owns its domain, but for node.cluster.x-k8s.io.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, labels: {cluster.x-k8s.io/cluster-name: other}}]}",
			want:   `spec.workers[0].labels[cluster.x-k8s.io/cluster-name]: key "cluster.x-k8s.io/cluster-name": prefix cluster.x-k8s.io is under x-k8s.io, which is reserved`,
		},
		"TaintReservedKey": {
			reason: "The node controller owns node.kubernetes.io taints.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, taints: [{key: node.kubernetes.io/unschedulable, effect: NoSchedule}]}]}",
			want:   `spec.workers[0].taints[0].key: key "node.kubernetes.io/unschedulable": prefix node.kubernetes.io is under kubernetes.io, which is reserved`,
		},
		"TaintDuplicate": {
			reason: "A Node refuses two taints with one key and effect.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, taints: [{key: gpu, effect: NoSchedule}, {key: gpu, value: x, effect: NoSchedule}]}]}",
			want:   "spec.workers[0].taints[1]: duplicate taint gpu:NoSchedule",
		},
		"TaintValueInvalid": {
			reason: "Taint values follow label value rules.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, taints: [{key: gpu, value: 'a b', effect: NoSchedule}]}]}",
			want:   `spec.workers[0].taints[0].value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
		},

		// Versions Cluster API refuses only when the Cluster is applied.
		"Downgrade": {
			reason: "Cluster API never moves a cluster down.",
			spec:   "{version: v1.34.3}", observed: []map[string]any{observedAt("v1.35.4")},
			want: "spec.version: cannot downgrade the cluster from v1.35.4 to v1.34.3",
		},
		"SkipsAMinor": {
			reason: "Without a class that lists its versions, one minor version at a time.",
			spec:   "{version: v1.35.4}", observed: []map[string]any{observedAt("v1.33.7")},
			want: "spec.version: cannot upgrade from v1.33.7 to v1.35.4 at once: upgrade one minor version at a time",
		},

		// Things the claim names that do not exist or do not fit.
		"ProviderConfigMissing": {
			reason: "A provider config the claim names must exist.",
			spec:   "{version: v1.35.4, providerConfigRef: {kind: ProviderConfig, name: team-cloud}}",
			want:   `spec.providerConfigRef: ProviderConfig "team-cloud" does not exist`,
		},
		"DefaultProviderConfigMissing": {
			reason: "Without a ref, managed resources use the default, which must exist.",
			spec:   "{version: v1.35.4}", world: withoutDefaultConfig,
			want: `spec.providerConfigRef: ClusterProviderConfig "default" does not exist (the default when spec.providerConfigRef is unset)`,
		},
		"UnknownFailureDomain": {
			reason: "A pool's failure domain must be one of the cloud's.",
			spec:   "{version: v1.35.4, workers: [{name: a, replicas: 1, failureDomain: zone-a}]}",
			want:   `spec.workers[0].failureDomain: "zone-a" is not a failure domain of ClusterProviderConfig "default" (it has: fd-a, fd-b, fd-c)`,
		},
		"NoTemplateForImage": {
			reason: "A vSphere provider config must have a template for the image every machine boots.",
			spec:   "{version: v1.35.4, providerConfigRef: {kind: ClusterProviderConfig, name: vsphere-sim}}",
			world: vsphereWith(t, func(v map[string]any) {
				v["images"] = []any{map[string]any{"name": "flatcar", "template": "flatcar-4230"}}
			}),
			want: `spec.providerConfigRef: ClusterProviderConfig "vsphere-sim" has no template for the machine image "capstan-node-ubuntu-24.04" (its spec.driver.vsphere.images has: flatcar)`,
		},
		"SharedClassMissing": {
			reason: "A shared class must exist.",
			spec:   "{version: v1.35.4, classRef: {name: capstan-tiny}}",
			want:   "spec.classRef: ClusterClass team-a/capstan-tiny does not exist",
		},
		"AnotherTeamsClass": {
			reason: "A claim may use its own namespace's classes and the platform's shared ones, never another team's.",
			spec:   "{version: v1.35.4, classRef: {name: their-class, namespace: team-b}}",
			want:   `spec.classRef.namespace: "team-b" is neither the claim's namespace nor one the platform shares classes from (capstan-platform)`,
		},
		"UnknownWorkerClass": {
			reason: "A pool's class (or, without one, its size) must be a worker class of the shared class.",
			spec:   "{version: v1.35.4, " + shared + ", workers: [{name: a, size: large, replicas: 1}]}",
			want:   `spec.workers[0].class: "large" is not a worker class of ClusterClass capstan-platform/capstan-standard (it has: standard-worker)`,
		},
		"UnknownVariable": {
			reason: "Variables must be the shared class's.",
			spec:   "{version: v1.35.4, classRef: {name: capstan-standard, namespace: capstan-platform, variables: [{name: registry, value: x}]}}",
			want:   `spec.classRef.variables[0].name: ClusterClass capstan-platform/capstan-standard has no variable "registry"`,
		},
		"RequiredVariableMissing": {
			reason: "A variable the shared class requires must be given.",
			spec:   "{version: v1.35.4, " + shared + "}",
			world: classWith(t, func(spec map[string]any) {
				_ = fieldpath.Pave(spec).SetValue("variables[0].required", true)
			}),
			want: `spec.classRef.variables: ClusterClass capstan-platform/capstan-standard requires variable "imageRepository"`,
		},
		"VersionNotInSharedClass": {
			reason: "A shared class that lists its versions offers only those.",
			spec:   "{version: v1.35.4, " + shared + "}",
			world:  classWith(t, func(spec map[string]any) { spec["kubernetesVersions"] = []any{"v1.34.3"} }),
			want:   "spec.version: ClusterClass capstan-platform/capstan-standard does not offer v1.35.4 (it has: v1.34.3)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs := tc.world
			if objs == nil {
				objs = world(t)
			}
			claimName := tc.name
			if claimName == "" {
				claimName = "demo"
			}
			rsp := runIn(t, newRequest(t, input, claimIn(t, claimName, tc.spec), tc.observed...), objs)
			got := summarize(rsp)
			if diff := cmp.Diff([]string{tc.want}, got.Fatal); diff != "" {
				t.Errorf("%s\nFatal results: -want, +got:\n%s", tc.reason, diff)
			}
			if len(got.Resources) != 0 {
				t.Errorf("%s\na refused claim composed %v", tc.reason, got.Resources)
			}
		})
	}
}

// TestAcceptedClaims guards the rules against refusing what works.
func TestAcceptedClaims(t *testing.T) {
	input := compositionInput(t)
	cases := map[string]struct {
		reason   string
		spec     string
		observed []map[string]any
	}{
		"IPv6":               {reason: "A single-stack IPv6 cluster.", spec: "{version: v1.35.4, network: {pods: 'fd00:10::/56', services: 'fd00:20::/112'}}"},
		"SmallestRanges":     {reason: "The smallest ranges that fit.", spec: "{version: v1.35.4, network: {pods: 10.244.0.0/22, services: 10.96.0.0/28}, workers: [{name: a, replicas: 1}]}"},
		"NodeLabelsOfCAPI":   {reason: "Cluster API keeps node.cluster.x-k8s.io labels on Nodes.", spec: "{version: v1.35.4, workers: [{name: a, replicas: 1, labels: {node.cluster.x-k8s.io/pool: a}}]}"},
		"KnownFailureDomain": {reason: "A failure domain of the default provider config.", spec: "{version: v1.35.4, workers: [{name: a, replicas: 1, failureDomain: fd-b}]}"},
		"OneMinorUp":         {reason: "An upgrade by one minor version.", spec: "{version: v1.35.4}", observed: []map[string]any{observedAt("v1.34.3")}},
		"SharedClassBySize":  {reason: "A pool picks the shared class's worker class by name.", spec: "{version: v1.35.4, classRef: {name: capstan-standard, namespace: capstan-platform}, workers: [{name: a, class: standard-worker, replicas: 1}]}"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := summarize(run(t, newRequest(t, input, claimIn(t, "demo", tc.spec), tc.observed...)))
			if len(got.Fatal) != 0 || len(got.Resources) == 0 {
				t.Errorf("%s\nwant the claim composed, got Fatal %v and resources %v", tc.reason, got.Fatal, got.Resources)
			}
		})
	}
}

// TestNamesNeverCollide composes, in one namespace, every claim and pool name that join to the
// same string (claim "a" with pool "b-c", claim "a-b" with pool "c", ...), all with the same
// content, and wants no two claims to compose an object of the same kind and name.
func TestNamesNeverCollide(t *testing.T) {
	input := compositionInput(t)
	words := []string{"team", "web", "workers", "small"}
	owner := map[string]string{}
	for i := 1; i < len(words); i++ {
		claim, pool := strings.Join(words[:i], "-"), strings.Join(words[i:], "-")
		rsp := run(t, newRequest(t, input, claimIn(t, claim, "{version: v1.35.4, workers: [{name: "+pool+", replicas: 1}]}")))
		if f := summarize(rsp).Fatal; len(f) > 0 {
			t.Fatalf("claim %s: %v", claim, f)
		}
		for _, o := range desiredObjects(rsp) {
			u := &unstructured.Unstructured{Object: o}
			key := u.GetKind() + "/" + u.GetName()
			if other, ok := owner[key]; ok {
				t.Errorf("claims %s and %s both compose %s", other, claim, key)
			}
			owner[key] = claim
		}
	}
}
