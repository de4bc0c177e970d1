/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"io"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	changelogsv1alpha1 "github.com/crossplane/crossplane-runtime/v2/apis/changelogs/proto/v1alpha1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/capstan-dev/capstan/apis"
	provider "github.com/capstan-dev/capstan/internal/controller"
	"github.com/capstan-dev/capstan/internal/controller/capi"
	"github.com/capstan-dev/capstan/internal/controller/capi/bundle"
	"github.com/capstan-dev/capstan/internal/controller/config"
)

const (
	leaderElectionID = "crossplane-leader-election-provider-capstan"

	// closeTimeout bounds how long the cloud drivers may take to shut down.
	closeTimeout = 30 * time.Second
)

const (
	errRESTConfig     = "cannot get the API server's REST config"
	errNewManager     = "cannot create the controller manager"
	errScheme         = "cannot add the provider's kinds to the scheme"
	errHealthz        = "cannot add the health probes"
	errMetrics        = "cannot register the cloud inventory metrics"
	errChangeLogs     = "cannot connect to the change-logs sidecar"
	errSetupGate      = "cannot set up the CRD gate controller"
	errSetupMR        = "cannot set up the managed resource controllers"
	errStartManager   = "cannot run the controller manager"
	errClient         = "cannot create a client for the CRDs"
	errApplyCRDs      = "cannot apply the Cluster API and Capstan infrastructure CRDs"
	errSetupCAPI      = "cannot set up the Capstan infrastructure controllers"
	errBundle         = "cannot set up the bundled Cluster API controllers"
	errWebhookService = "--webhook-tls-cert-dir needs --webhook-service and --webhook-service-namespace (Crossplane sets PROVIDER_NAME and POD_NAMESPACE): the Service the API server reaches the webhooks through"
)

// Run starts the controller manager and blocks until it is told to stop.
func (o *options) Run() error {
	zl := zap.New(zap.UseDevMode(o.Debug))
	log := logging.NewLogrLogger(zl.WithName("provider-capstan"))
	// NOTE: controller-runtime is very chatty at info level; only debug runs hear it. Its logger
	// can be set once: a second SetLogger is ignored.
	crl := zap.New(zap.WriteTo(io.Discard))
	if o.Debug {
		crl = zl
	}
	ctrl.SetLogger(crl)

	cfg, err := o.restConfig()
	if err != nil {
		return errors.Wrap(err, errRESTConfig)
	}
	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, o.MaxReconcileRate), o.managerOptions())
	if err != nil {
		return errors.Wrap(err, errNewManager)
	}
	if err := apis.AddToScheme(mgr.GetScheme()); err != nil {
		return errors.Wrap(err, errScheme)
	}
	if err := apiextensionsv1.AddToScheme(mgr.GetScheme()); err != nil {
		return errors.Wrap(err, errScheme)
	}
	if err := capi.AddToScheme(mgr.GetScheme()); err != nil {
		return errors.Wrap(err, errScheme)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return errors.Wrap(err, errHealthz)
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return errors.Wrap(err, errHealthz)
	}

	co := o.controllerOptions(log)
	if o.ChangeLogs {
		cl, err := o.changeLogger()
		if err != nil {
			return err
		}
		co.ChangeLogOptions = &controller.ChangeLogOptions{ChangeLogger: cl}
		log.Info("Change logs enabled", "socket", o.ChangeLogsSocketPath)
	}
	drivers := config.NewDrivers(mgr.GetClient(), config.NewDriver(zl.WithName("cloud")))
	if err := metrics.Registry.Register(drivers); err != nil {
		return errors.Wrap(err, errMetrics)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := drivers.Close(ctx); err != nil {
			log.Info("Cannot close the cloud drivers", "error", err)
		}
	}()

	if err := customresourcesgate.Setup(mgr, co); err != nil {
		return errors.Wrap(err, errSetupGate)
	}
	if err := provider.SetupGated(mgr, co, drivers); err != nil {
		return errors.Wrap(err, errSetupMR)
	}

	ctx := ctrl.SetupSignalHandler()
	if err := o.setupClusterAPI(ctx, cfg, mgr, co); err != nil {
		return err
	}
	return errors.Wrap(mgr.Start(ctx), errStartManager)
}

// setupClusterAPI applies the embedded CRDs (they cannot ship in the provider package: Crossplane
// turns every CRD there into a managed resource definition), adds the CapstanCluster and
// CapstanMachine controllers and, unless Cluster API is external, Cluster API's own controllers.
func (o *options) setupClusterAPI(ctx context.Context, cfg *rest.Config, mgr ctrl.Manager, co controller.Options) error {
	bundled := o.ClusterAPI == "bundled"
	// NOTE: the manager's client reads from a cache that does not run yet.
	kube, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return errors.Wrap(err, errClient)
	}
	if err := capi.ApplyCRDs(ctx, kube, capi.CRDOptions{ClusterAPI: bundled}); err != nil {
		return errors.Wrap(err, errApplyCRDs)
	}
	if err := capi.SetupGated(ctx, mgr, co); err != nil {
		return errors.Wrap(err, errSetupCAPI)
	}
	if !bundled {
		return nil
	}
	bo := bundle.Options{WebhookHost: o.WebhookHost, WebhookPort: o.WebhookPort}
	if o.WebhookTLSCertDir != "" {
		if o.WebhookService == "" || o.WebhookServiceNamespace == "" {
			return errors.New(errWebhookService)
		}
		bo.InCluster = &bundle.InCluster{ServiceNamespace: o.WebhookServiceNamespace, ServiceName: o.WebhookService, CertDir: o.WebhookTLSCertDir}
	}
	b, err := bundle.New(ctx, cfg, bo)
	if err != nil {
		return errors.Wrap(err, errBundle)
	}
	return errors.Wrap(mgr.Add(b), errBundle)
}

// restConfig reaches the API server named by --kubeconfig, else the in-cluster or $KUBECONFIG one.
func (o *options) restConfig() (*rest.Config, error) {
	if o.Kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	}
	return ctrl.GetConfig()
}

// managerOptions are the controller manager's settings.
func (o *options) managerOptions() ctrl.Options {
	// NOTE: leases only, and longer than controller-runtime's defaults: under load, renewals at
	// the default 10s deadline have been seen to miss, which costs the lease (as in Crossplane's
	// providers).
	lease, renew := 60*time.Second, 50*time.Second
	return ctrl.Options{
		Cache:                      cache.Options{SyncPeriod: &o.SyncPeriod},
		Metrics:                    metricsserver.Options{BindAddress: o.MetricsAddress},
		HealthProbeBindAddress:     o.HealthProbeAddress,
		LeaderElection:             o.LeaderElection,
		LeaderElectionID:           leaderElectionID,
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		LeaseDuration:              &lease,
		RenewDeadline:              &renew,
	}
}

// controllerOptions are the settings every managed resource controller shares.
func (o *options) controllerOptions(log logging.Logger) controller.Options {
	mr := managed.NewMRMetricRecorder()
	state := statemetrics.NewMRStateMetrics()
	metrics.Registry.MustRegister(mr, state)

	co := controller.Options{
		Logger:                  log,
		MaxConcurrentReconciles: o.MaxReconcileRate,
		PollInterval:            o.PollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(o.MaxReconcileRate),
		Features:                &feature.Flags{},
		Gate:                    new(gate.Gate[schema.GroupVersionKind]),
		MetricOptions: &controller.MetricOptions{
			PollStateMetricInterval: 5 * time.Second,
			MRMetrics:               mr,
			MRStateMetrics:          state,
		},
	}
	if o.ManagementPolicies {
		co.Features.Enable(feature.EnableBetaManagementPolicies)
		log.Info("Beta feature enabled", "flag", feature.EnableBetaManagementPolicies)
	}
	return co
}

// changeLogger returns the change logger that sends to the change-logs sidecar on o's socket.
// NOTE: the connection is lazy: the sidecar may start after the provider, and a change that
// cannot be logged fails its reconcile, which is retried.
func (o *options) changeLogger() (managed.ChangeLogger, error) {
	conn, err := grpc.NewClient("unix://"+o.ChangeLogsSocketPath, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, errors.Wrap(err, errChangeLogs)
	}
	return managed.NewGRPCChangeLogger(changelogsv1alpha1.NewChangeLogServiceClient(conn), managed.WithProviderVersion(providerVersion())), nil
}

// providerVersion is the module version the provider was built from, for change log entries.
func providerVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "provider-capstan:" + bi.Main.Version
	}
	return "provider-capstan"
}
