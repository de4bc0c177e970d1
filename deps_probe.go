//go:build deps

// Package capstan holds nothing; this file keeps the modules the code is about to import in go.mod
// while the first packages are written. It goes once real imports hold them.
package capstan

import (
	_ "github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	_ "github.com/crossplane/function-sdk-go"
	_ "sigs.k8s.io/cluster-api/api/core/v1beta2"
	_ "sigs.k8s.io/cluster-api/core/setup"
	_ "sigs.k8s.io/cluster-api/controlplane/kubeadm/setup"
	_ "sigs.k8s.io/cluster-api/bootstrap/kubeadm/setup"
	_ "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	_ "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server"
	_ "sigs.k8s.io/controller-runtime/pkg/envtest"
)
