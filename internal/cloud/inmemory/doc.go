/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package inmemory is a cloud.Driver that simulates machines in memory and serves real TLS load
// balancers on this host, good enough to carry Kubernetes control-plane traffic with no Docker.
//
// The model:
//
//   - A LoadBalancer is a workload cluster's endpoint: a TLS listener on Options.BindAddress, on
//     Listener.FrontendPort when given (so a restarted provider keeps every kubeconfig valid),
//     else on a free port of Options.MinPort-MaxPort. Behind it sits an empty workload cluster
//     (a resource group of Cluster API's in-memory store). Until a control plane machine boots,
//     TLS handshakes fail, as with a load balancer that has no backend in service.
//   - An Instance is a simulated VM. It is Provisioning for Options.BootDelay, then boots from its
//     user data as cloud-init and kubeadm would, and is Running, or Failed with the reason.
//   - A control plane Instance reads CABPK's #cloud-config: the cluster CA and etcd CA from
//     write_files, and the kubeadm init or join configuration. It finds the load balancer whose
//     host:port the configuration names (controlPlaneEndpoint, or the join discovery endpoint),
//     then serves a kube-apiserver and an etcd member behind it with serving certificates minted
//     from those CAs, registers its Node and creates the kubeadm static pods KCP checks. The init
//     machine also writes what kubeadm init uploads (kubeadm-config, RBAC, kube-proxy, CoreDNS).
//   - A worker Instance joins as a Node of the cluster its join configuration names.
//   - The workload API server answers /version with the cluster's Kubernetes version (the
//     kubeadm-config ConfigMap's, so an upgrade shows), which the library's server lacks.
//
// Cluster API's in-memory library (sigs.k8s.io/cluster-api/test/infrastructure/inmemory) holds the
// workload clusters and provides the kube-apiserver and etcd request handlers. Its
// WorkloadClustersMux is not used: it binds every interface whatever the host, opens a debug
// server on a fixed port, cannot serve /version and reserves ports without binding them. This
// package binds each load balancer itself, on the bind address only, and picks certificates per
// handshake as the mux does.
//
// Everything is lost when the process ends: a restarted provider recreates load balancers on their
// old ports and instances from their user data, and the clusters come back (an init machine first;
// joining machines wait up to Options.JoinTimeout for a control plane).
package inmemory
