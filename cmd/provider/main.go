/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command provider is the Capstan provider's controller manager: the managed resource controllers
// for Instances and LoadBalancers, the Cluster API infrastructure controllers for CapstanClusters
// and CapstanMachines, and (unless --cluster-api=external) Cluster API's own core, kubeadm control
// plane and kubeadm bootstrap controllers.
package main

import (
	"time"

	"github.com/alecthomas/kong"
)

// options are the provider's command-line flags. Each component of the manager reads what it
// needs from here.
type options struct {
	Debug bool `help:"Log at debug level, controller-runtime included." short:"d"`

	Kubeconfig string `help:"Kubeconfig of the API server to manage. Defaults to in-cluster config, then $KUBECONFIG." type:"path"`

	PollInterval     time.Duration `default:"1m" help:"How often each managed resource is checked for drift from the cloud."`
	SyncPeriod       time.Duration `default:"1h" help:"How often every watched object is reconciled, changed or not."`
	MaxReconcileRate int           `default:"10" help:"Most reconciles per second across all controllers; also each controller's concurrency."`

	LeaderElection     bool   `env:"LEADER_ELECTION" help:"Take a lease so that only one replica reconciles."`
	MetricsAddress     string `default:":8080" help:"Address the Prometheus metrics endpoint binds to; 0 turns it off."`
	HealthProbeAddress string `default:":8081" help:"Address the health and readiness probes bind to; 0 turns them off."`

	ManagementPolicies bool `default:"true" env:"ENABLE_MANAGEMENT_POLICIES" help:"Honour spec.managementPolicies of managed resources." negatable:""`

	ChangeLogs           bool   `env:"ENABLE_CHANGE_LOGS" help:"Record every change the provider makes to the cloud in Crossplane's change logs (a change-logs sidecar, enabled in the DeploymentRuntimeConfig, serves them)." name:"enable-changelogs"`
	ChangeLogsSocketPath string `default:"/var/run/changelogs/changelogs.sock" env:"CHANGELOGS_SOCKET_PATH" help:"Unix socket of the change-logs sidecar." name:"changelogs-socket-path"`

	ClusterAPI  string `default:"bundled" enum:"bundled,external" help:"Run Cluster API's controllers in this process (bundled), or leave them to an existing install (external)."`
	WebhookHost string `default:"127.0.0.1" help:"Address the bundled Cluster API webhooks are served on, registered by URL, without --webhook-tls-cert-dir; the API server must reach it."`
	WebhookPort int    `help:"Port of the bundled Cluster API webhooks: 0 is a free port on --webhook-host, or 9443, the port Crossplane's provider Service targets, with --webhook-tls-cert-dir."`

	// Crossplane sets these three in a provider's pod.
	WebhookTLSCertDir       string `env:"TLS_SERVER_CERTS_DIR" help:"The webhooks' serving certificate (tls.crt, tls.key, ca.crt), which Crossplane issues for the provider's Service and mounts into its pod. Given, the webhooks are served on every interface and registered through that Service." type:"path"`
	WebhookService          string `env:"PROVIDER_NAME"        help:"With --webhook-tls-cert-dir, the Service the API server reaches the webhooks through: Crossplane names it after the Provider."`
	WebhookServiceNamespace string `env:"POD_NAMESPACE"        help:"With --webhook-tls-cert-dir, the namespace of --webhook-service: the one Crossplane runs the provider in."`
}

func main() {
	var o options
	ctx := kong.Parse(&o,
		kong.Name("provider"),
		kong.Description("The Capstan provider: Instance and LoadBalancer managed resources on a cloud driver, and Cluster API on top of them."),
		kong.UsageOnError(),
	)
	ctx.FatalIfErrorf(o.Run())
}
