#!/bin/sh
# Copies the webhook configurations of Cluster API's core, kubeadm control plane and kubeadm
# bootstrap controllers, unchanged, from the module cache at the version go.mod pins into
# webhooks/. Run by `go generate` (see webhooks.go).
set -eu
src=$(go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
rm -rf webhooks
mkdir webhooks
cp "$src"/core/config/webhook/manifests.yaml webhooks/core.yaml
cp "$src"/controlplane/kubeadm/config/webhook/manifests.yaml webhooks/kubeadm-control-plane.yaml
cp "$src"/bootstrap/kubeadm/config/webhook/manifests.yaml webhooks/kubeadm-bootstrap.yaml
chmod 0644 webhooks/*.yaml
