/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errHash = "cannot hash template content"

// Composition resource names: the keys of composed resources in the function's desired state.
// Template keys carry the template's content hash, like its object name: Crossplane keeps the
// object name of an observed resource with the same key, so a changed (immutable) template must
// get a new key to get a new object.
const (
	resCluster              = "cluster"
	resClusterClass         = "clusterclass"
	resInfraTemplate        = "cluster-template"
	resControlPlaneTemplate = "controlplane-template"
	resMachineTemplate      = "machine-template"
	resBootstrapTemplate    = "bootstrap-template"
)

// hashLen is the length of the content-hash suffix of template names.
const hashLen = 10

// contentHash returns a short, stable hash of v's JSON. encoding/json writes struct fields in
// declaration order and map keys sorted, so equal content always hashes equally.
func contentHash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", errors.Wrap(err, errHash)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:hashLen], nil
}

// templateName names a claim's template of a role (a pool, a size, "cluster" or "controlplane")
// and content hash: <claim>.<role>-<hash>. A claim name is a DNS label (no dot) and a role has no
// dot either, so the name says which claim and role it belongs to: two claims cannot compose the
// same template name, whatever their names and pools.
func templateName(claim, role, hash string) string {
	return claim + "." + role + "-" + hash
}

// kubeconfigSecretName is the Secret Cluster API writes the workload cluster's admin kubeconfig
// to.
func kubeconfigSecretName(cluster string) string {
	return cluster + "-kubeconfig"
}
