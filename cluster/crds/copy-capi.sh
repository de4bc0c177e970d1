#!/bin/sh
# Copies Cluster API's core, kubeadm control plane and kubeadm bootstrap CRDs, unchanged, from the
# module cache at the version go.mod pins into capi/. Run by `go generate` (see crds.go).
set -eu
src=$(go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
rm -rf capi
mkdir capi
cp "$src"/core/config/crd/bases/*.yaml \
   "$src"/controlplane/kubeadm/config/crd/bases/*.yaml \
   "$src"/bootstrap/kubeadm/config/crd/bases/*.yaml capi/
chmod 0644 capi/*.yaml
