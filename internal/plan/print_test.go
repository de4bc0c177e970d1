/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// upgrade is the plan of a version upgrade of one control-plane machine and one worker.
var upgrade = &Plan{
	Claim:  "default/demo",
	Action: ClaimUpdate,
	Composed: []Object{{Kind: "Cluster", Name: "demo", Action: "update", Fields: []Field{
		{Path: "spec.topology.version", Before: "v1.34.3", After: "v1.35.4"},
	}}},
	Topology: []Object{{Kind: "KubeadmControlPlane", Name: "demo-x", Action: "update", Fields: []Field{
		{Path: "spec.version", Before: "v1.34.3", After: "v1.35.4"},
	}}},
	Machines: []Machine{
		{Step: 1, Owner: "KubeadmControlPlane/demo-x", Name: "demo-x-1", Action: Replace, Why: []string{"Version v1.34.3, v1.35.4 required"}},
		{Step: 2, Owner: "MachineDeployment/demo-a", Pool: "a", Name: "demo-a-1", Action: Replace, Why: []string{"Version v1.34.3, v1.35.4 required"}},
		{Step: 2, Owner: "MachineDeployment/demo-a", Pool: "a", Count: 2, Action: Create, Why: []string{"replicas 1 -> 3"}},
	},
}

func TestWriteText(t *testing.T) {
	var b strings.Builder
	if err := upgrade.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `ClusterClaim default/demo: update

Composed resources
  ~ Cluster demo
      spec.topology.version: v1.34.3 -> v1.35.4

Cluster API topology (names of new objects are generated again when applied)
  ~ KubeadmControlPlane demo-x
      spec.version: v1.34.3 -> v1.35.4

Machines, in the order Cluster API rolls them
  STEP  POOL           MACHINE     ACTION   WHY
  1     control plane  demo-x-1    replace  Version v1.34.3, v1.35.4 required
  2     a              demo-a-1    replace  Version v1.34.3, v1.35.4 required
  2     a              2 machines  create   replicas 1 -> 3
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteText(...): -want, +got:\n%s", diff)
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b strings.Builder
	if err := upgrade.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### ClusterClaim `default/demo`: update\n",
		"| 1 | control plane | demo-x-1 | **replace** | Version v1.34.3, v1.35.4 required |\n",
		"| 2 | a | 2 machines | **create** | replicas 1 -> 3 |\n",
		"<details><summary>Cluster API topology (names of new objects are generated again when applied): 1 changed</summary>\n\n```diff\n~ KubeadmControlPlane demo-x\n    spec.version: v1.34.3 -> v1.35.4\n```\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("WriteMarkdown(...) lacks %q; got:\n%s", want, b.String())
		}
	}
}

func TestWriteRefused(t *testing.T) {
	p := &Plan{Claim: "default/demo", Action: ClaimUpdate, Refused: `spec.workers[1].size: unknown size "huge"`, Machines: upgrade.Machines}
	for name, write := range map[string]func(*strings.Builder) error{
		"Text":     func(b *strings.Builder) error { return p.WriteText(b) },
		"Markdown": func(b *strings.Builder) error { return p.WriteMarkdown(b) },
	} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), p.Refused) {
				t.Errorf("a refused plan does not say why:\n%s", b.String())
			}
			if strings.Contains(b.String(), "demo-x-1") {
				t.Errorf("a refused plan lists machines:\n%s", b.String())
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	var b strings.Builder
	if err := (&Plan{Claim: "default/demo", Action: ClaimUpdate, Machines: upgrade.Machines[2:]}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{
  "claim": "default/demo",
  "action": "update",
  "machines": [
    {
      "step": 2,
      "owner": "MachineDeployment/demo-a",
      "pool": "a",
      "count": 2,
      "action": "create",
      "why": [
        "replicas 1 -> 3"
      ]
    }
  ]
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteJSON(...): -want, +got:\n%s", diff)
	}
}
