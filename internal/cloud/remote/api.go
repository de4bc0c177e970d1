/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package remote runs in-memory clouds in a process of their own and reaches them over HTTP, the
// way a real cloud is reached: the provider can die and restart while every machine, load
// balancer and workload API server lives on. Server hosts named clouds; Driver is the
// cloud.Driver of one of them.
//
// The API, JSON over HTTP on loopback:
//
//	PUT    /v1/clouds/{cloud}                      create the cloud, or replace it if its Options changed
//	GET    /v1/clouds/{cloud}/inventory            what it holds
//	PUT    /v1/clouds/{cloud}/instances/{id}       create an instance (cloud.InstanceSpec), idempotent
//	GET    /v1/clouds/{cloud}/instances/{id}
//	DELETE /v1/clouds/{cloud}/instances/{id}
//	PUT    /v1/clouds/{cloud}/loadbalancers/{id}   create a load balancer (cloud.LoadBalancerSpec)
//	PATCH  /v1/clouds/{cloud}/loadbalancers/{id}   change its spec
//	GET    /v1/clouds/{cloud}/loadbalancers/{id}
//	DELETE /v1/clouds/{cloud}/loadbalancers/{id}
//	GET    /healthz
package remote

import (
	"time"
)

// Options are a hosted cloud's settings: those of inmemory.Options a provider config sets.
type Options struct {
	BootDelay      time.Duration `json:"bootDelay,omitempty"`
	BindAddress    string        `json:"bindAddress,omitempty"`
	MinPort        int32         `json:"minPort,omitempty"`
	MaxPort        int32         `json:"maxPort,omitempty"`
	FailureDomains []string      `json:"failureDomains,omitempty"`

	// BootFailurePercent of instances fail to boot: an injected fault.
	BootFailurePercent int32 `json:"bootFailurePercent,omitempty"`

	// WorkerDeathPercent of workers die WorkerLifetime after they boot: an injected fault.
	WorkerDeathPercent int32         `json:"workerDeathPercent,omitempty"`
	WorkerLifetime     time.Duration `json:"workerLifetime,omitempty"`
}

// apiError is the body of every error response.
type apiError struct {
	// Reason is NotFound for an instance or load balancer the cloud does not have, NoCloud for
	// a cloud the server does not host (it restarted: the driver creates it again), and empty
	// for anything else.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

// Error reasons.
const (
	reasonNotFound = "NotFound"
	reasonNoCloud  = "NoCloud"
)
