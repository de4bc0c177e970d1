//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"os"
	"path/filepath"
)

// auditPolicy logs the metadata of every request once it is answered: who, what, on which
// resource. Requests' bodies are left out.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
`

// auditFlags are the kube-apiserver flags that write -e2e.audit-log, or none without it.
func auditFlags(dir string) []string {
	if *auditLog == "" {
		return nil
	}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		panic(err)
	}
	return []string{"--audit-policy-file=" + policy, "--audit-log-path=" + *auditLog, "--audit-log-format=json", "--audit-log-mode=batch", "--audit-log-maxsize=0"}
}
