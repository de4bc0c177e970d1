#!/bin/sh
# Copies the manager ClusterRoles of Cluster API's core, kubeadm control plane and kubeadm bootstrap
# controllers from the module cache at the version go.mod pins into capi/, as cluster/crds does
# their CRDs. Upstream names each "manager-role" and its kustomization prefixes the name; the copy
# takes the name Cluster API's own install gives it, so the three can live side by side.
# Run by `go generate` (see rbac.go).
set -eu
src=$(go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
rm -rf capi
mkdir capi
copy() { # <upstream directory> <name prefix of its install> <file>
	sed "s/^  name: manager-role$/  name: $2manager-role/" "$src/$1/config/rbac/role.yaml" > "capi/$3.yaml"
	grep -q "^  name: $2manager-role$" "capi/$3.yaml" || { echo "copy-capi.sh: no manager-role in $1" >&2; exit 1; }
}
copy core capi- core
copy controlplane/kubeadm capi-kubeadm-control-plane- kubeadm-control-plane
copy bootstrap/kubeadm capi-kubeadm-bootstrap- kubeadm-bootstrap
