/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package bundle runs Cluster API's core (with the ClusterTopology feature on), kubeadm control
// plane and kubeadm bootstrap controllers and webhooks, from sigs.k8s.io/cluster-api's public
// reconciler packages, inside the provider's process.
//
// Each component gets its own controller-runtime manager, set up as its upstream main sets it up,
// because their cache options conflict (the kubeadm control plane's cache strips worker
// Machines). The managers share one webhook server on a loopback address, registered with the API
// server by URL and a self-signed CA bundle, so no in-cluster Service is needed.
package bundle

import (
	"context"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cluster-api/controllers/remote"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/version"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Defaults of Options.
const (
	DefaultWebhookHost             = "127.0.0.1"
	DefaultSyncPeriod              = 10 * time.Minute
	DefaultConnectionRetryInterval = 2 * time.Second
	DefaultMaxConcurrentReconciles = 10
)

// Client settings of Cluster API's mains.
const (
	restQPS            = 100
	restBurst          = 200
	clusterCacheQPS    = 20
	clusterCacheBurst  = 30
	cacheSyncTimeout   = 5 * time.Minute
	webhookReadyPoll   = 100 * time.Millisecond
	webhookReadyWithin = 30 * time.Second
)

const (
	errFeatureGate   = "cannot enable the ClusterTopology feature gate"
	errKubeVersion   = "cannot run Cluster API on this API server"
	errNewManager    = "cannot create the manager of Cluster API component"
	errSetup         = "cannot set up Cluster API component"
	errClient        = "cannot create a client for the webhook configurations"
	errWebhookServer = "webhook server did not start"
	errRegister      = "cannot register the Cluster API webhooks"
)

// Options configure the bundled Cluster API controllers. The zero value is usable.
type Options struct {
	// WebhookHost is the address the webhooks are served on; the API server must reach it.
	// Defaults to DefaultWebhookHost.
	WebhookHost string

	// WebhookPort is the port the webhooks are served on. 0 picks a free port on WebhookHost, or
	// DefaultInClusterWebhookPort in a cluster.
	WebhookPort int

	// InCluster, when set, serves the webhooks as a provider Crossplane runs in a cluster: on
	// every interface of its pod, behind the Service Crossplane made for it, with the
	// certificate Crossplane issued for that Service. WebhookHost is then unused.
	InCluster *InCluster

	// Namespace limits every controller to one namespace. Empty watches all namespaces.
	Namespace string

	// SyncPeriod is how often every object is reconciled even when nothing changed. Defaults to
	// DefaultSyncPeriod, Cluster API's default.
	SyncPeriod time.Duration

	// ConnectionRetryInterval is how long Cluster API waits before retrying a failed first
	// connection to a new workload cluster. Defaults to DefaultConnectionRetryInterval; upstream
	// mains use 30s, which adds up to half a minute to every new cluster's time to Available.
	ConnectionRetryInterval time.Duration

	// MaxConcurrentReconciles of every controller. Defaults to DefaultMaxConcurrentReconciles.
	MaxConcurrentReconciles int

	// Logger of the controllers. Defaults to ctrl.Log.
	Logger *logr.Logger
}

func (o *Options) setDefaults() {
	if o.WebhookHost == "" {
		o.WebhookHost = DefaultWebhookHost
	}
	if o.SyncPeriod == 0 {
		o.SyncPeriod = DefaultSyncPeriod
	}
	if o.ConnectionRetryInterval == 0 {
		o.ConnectionRetryInterval = DefaultConnectionRetryInterval
	}
	if o.MaxConcurrentReconciles == 0 {
		o.MaxConcurrentReconciles = DefaultMaxConcurrentReconciles
	}
	if o.Logger == nil {
		l := ctrl.Log.WithName("cluster-api")
		o.Logger = &l
	}
}

// DefaultInClusterWebhookPort is the port Crossplane's provider Service sends webhook calls to
// (the pod's port named webhook).
const DefaultInClusterWebhookPort = 9443

// InCluster is where a provider's webhooks are reached in a cluster.
type InCluster struct {
	// ServiceNamespace and ServiceName name the Service the API server reaches the webhooks
	// through. Crossplane's runtime names it after the Provider, in Crossplane's namespace.
	ServiceNamespace string
	ServiceName      string

	// ServicePort is the Service's port; Crossplane's is DefaultInClusterWebhookPort.
	ServicePort int32

	// CertDir holds tls.crt, tls.key and ca.crt: the serving certificate Crossplane issues for
	// the Service, mounted where TLS_SERVER_CERTS_DIR says.
	CertDir string
}

// A component is one upstream Cluster API controller manager.
type component struct {
	// name is the upstream controller name, used in its user agent.
	name string
	// scheme holds the kinds the component reads and writes.
	scheme func(*runtime.Scheme) error
	// cache and client options from the component's setup package.
	options func(s *runtime.Scheme, o Options) ctrl.Options
	// setup adds the component's controllers and webhooks to its manager.
	setup func(ctx context.Context, mgr ctrl.Manager, o Options) error
}

// Bundle is the Cluster API controllers, ready to start. It is a manager.Runnable: add it to the
// provider's manager, or call Start.
type Bundle struct {
	cfg      *rest.Config
	o        Options
	managers []ctrl.Manager
	server   webhook.Server
	endpoint endpoint
}

// New sets up Cluster API's core, kubeadm control plane and kubeadm bootstrap managers with
// their controllers and webhooks. Nothing runs until Start. The embedded CRDs must be applied
// first (see capi.ApplyCRDs). New enables Cluster API's ClusterTopology feature gate, which is
// process-wide.
func New(ctx context.Context, cfg *rest.Config, o Options) (*Bundle, error) {
	o.setDefaults()
	if err := feature.MutableGates.SetFromMap(map[string]bool{string(feature.ClusterTopology): true}); err != nil {
		return nil, errors.Wrap(err, errFeatureGate)
	}
	if err := version.CheckKubernetesVersion(cfg, version.MinimumKubernetesVersionClusterTopology); err != nil {
		return nil, errors.Wrap(err, errKubeVersion)
	}
	b := &Bundle{cfg: cfg, o: o}
	var err error
	if b.server, b.endpoint, err = webhooks(o); err != nil {
		return nil, err
	}

	for _, c := range []component{core(), kubeadmControlPlane(), kubeadmBootstrap()} {
		s := runtime.NewScheme()
		if err := c.scheme(s); err != nil {
			return nil, errors.Wrapf(err, "%s %s", errSetup, c.name)
		}
		rc := rest.CopyConfig(cfg)
		rc.QPS, rc.Burst = restQPS, restBurst
		rc.UserAgent = remote.DefaultClusterAPIUserAgent(c.name)

		mo := c.options(s, o)
		mo.Scheme = s
		mo.Logger = o.Logger.WithName(c.name)
		mo.Controller = config.Controller{
			UsePriorityQueue: ptr.To(feature.Gates.Enabled(feature.PriorityQueue)),
			CacheSyncTimeout: cacheSyncTimeout,
			// NOTE: every component runs a controller named clustercache; names need only be
			// unique within a manager.
			SkipNameValidation: ptr.To(true),
		}
		mo.Metrics = metricsserver.Options{BindAddress: "0"}
		mo.HealthProbeBindAddress = "0"
		mo.WebhookServer = sharedWebhookServer{Server: b.server}

		mgr, err := ctrl.NewManager(rc, mo)
		if err != nil {
			return nil, errors.Wrapf(err, "%s %s", errNewManager, c.name)
		}
		if err := c.setup(ctrl.LoggerInto(ctx, mo.Logger), mgr, o); err != nil {
			return nil, errors.Wrapf(err, "%s %s", errSetup, c.name)
		}
		b.managers = append(b.managers, mgr)
	}
	return b, nil
}

// NeedLeaderElection reports that the bundle runs only on the elected leader, like every
// controller of the provider.
func (b *Bundle) NeedLeaderElection() bool {
	return true
}

// Start serves the webhooks, registers them with the API server, and runs every Cluster API
// controller until ctx is done or one of them fails.
func (b *Bundle) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.server.Start(gctx) })
	if err := b.registerWebhooks(gctx); err != nil {
		cancel()
		// NOTE: a server that failed to start is already in err.
		_ = g.Wait()
		return err
	}
	for _, mgr := range b.managers {
		g.Go(func() error { return mgr.Start(gctx) })
	}
	return g.Wait()
}

// registerWebhooks waits for the webhook server to answer, then registers it with the API server.
func (b *Bundle) registerWebhooks(ctx context.Context) error {
	if err := b.waitForWebhookServer(ctx); err != nil {
		return err
	}
	c, err := client.New(b.cfg, client.Options{})
	if err != nil {
		return errors.Wrap(err, errClient)
	}
	return errors.Wrap(applyWebhookConfigurations(ctx, c, b.endpoint), errRegister)
}

// webhooks returns the webhook server o asks for and how the API server reaches it.
func webhooks(o Options) (webhook.Server, endpoint, error) {
	if o.InCluster != nil {
		port := o.WebhookPort
		if port == 0 {
			port = DefaultInClusterWebhookPort
		}
		ic := *o.InCluster
		if ic.ServicePort == 0 {
			ic.ServicePort = DefaultInClusterWebhookPort
		}
		return inClusterWebhooks(port, ic)
	}
	port := o.WebhookPort
	if port == 0 {
		p, err := freePort(o.WebhookHost)
		if err != nil {
			return nil, endpoint{}, err
		}
		port = p
	}
	return loopbackWebhooks(o.WebhookHost, port)
}

func (b *Bundle) waitForWebhookServer(ctx context.Context) error {
	check := b.server.StartedChecker()
	ctx, cancel := context.WithTimeout(ctx, webhookReadyWithin)
	defer cancel()
	t := time.NewTicker(webhookReadyPoll)
	defer t.Stop()
	for {
		err := check(&http.Request{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Wrap(err, errWebhookServer)
		case <-t.C:
		}
	}
}

// schemes adds the kinds of every AddToScheme function to a scheme.
func schemes(fns ...func(*runtime.Scheme) error) func(*runtime.Scheme) error {
	sb := runtime.NewSchemeBuilder(fns...)
	return sb.AddToScheme
}

func concurrency(o Options) controller.Options {
	return controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}
}
