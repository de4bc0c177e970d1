/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	addonsv1beta1 "sigs.k8s.io/cluster-api/api/addons/v1beta1" //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	addonsv1 "sigs.k8s.io/cluster-api/api/addons/v1beta2"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1" //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ipamv1alpha1 "sigs.k8s.io/cluster-api/api/ipam/v1alpha1" //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	ipamv1beta1 "sigs.k8s.io/cluster-api/api/ipam/v1beta1"   //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	runtimev1alpha1 "sigs.k8s.io/cluster-api/api/runtime/v1alpha1" //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/core/reconcilers/cluster"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterclass"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterresourceset"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterresourcesetbinding"
	"sigs.k8s.io/cluster-api/core/reconcilers/machine"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinedeployment"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinehealthcheck"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinepool"
	"sigs.k8s.io/cluster-api/core/reconcilers/machineset"
	topologycluster "sigs.k8s.io/cluster-api/core/reconcilers/topology/cluster"
	topologymachinedeployment "sigs.k8s.io/cluster-api/core/reconcilers/topology/machinedeployment"
	topologymachineset "sigs.k8s.io/cluster-api/core/reconcilers/topology/machineset"
	coresetup "sigs.k8s.io/cluster-api/core/setup"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/util/index"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Settings of Cluster API's core main (its flag defaults).
const (
	remoteConnectionGracePeriod = 50 * time.Second
	remoteConditionsGracePeriod = 5 * time.Minute
)

// connectionRetrySetter is the ClusterCache's setting for the wait before retrying a failed first
// connection to a workload cluster. It is not on the ClusterCache interface.
type connectionRetrySetter interface {
	SetConnectionCreationRetryInterval(time.Duration)
}

// clusterCache sets up a component's ClusterCache, the connections to workload clusters.
func newClusterCache(ctx context.Context, mgr ctrl.Manager, o Options, cache clustercache.CacheOptions, cl clustercache.ClientOptions) (clustercache.ClusterCache, error) {
	secrets, err := coresetup.CreateSecretCachingClient(mgr)
	if err != nil {
		return nil, errors.Wrap(err, "cannot create the secret caching client")
	}
	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		SecretClient: secrets,
		Cache:        cache,
		Client:       cl,
	}, concurrency(o))
	if err != nil {
		return nil, errors.Wrap(err, "cannot set up the ClusterCache")
	}
	if s, ok := clusterCache.(connectionRetrySetter); ok {
		s.SetConnectionCreationRetryInterval(o.ConnectionRetryInterval)
	}
	return clusterCache, nil
}

// core is Cluster API's core controller manager: Clusters (and their topology), ClusterClasses,
// Machines, MachineSets, MachineDeployments, MachinePools, MachineHealthChecks and
// ClusterResourceSets. Upstream: core/main.go.
func core() component {
	const name = "cluster-api-controller-manager"
	return component{
		name: name,
		scheme: schemes(
			clientgoscheme.AddToScheme, extv1.AddToScheme, storagev1.AddToScheme,
			clusterv1beta1.AddToScheme, clusterv1.AddToScheme,
			addonsv1beta1.AddToScheme, addonsv1.AddToScheme,
			runtimev1alpha1.AddToScheme, runtimev1.AddToScheme,
			ipamv1alpha1.AddToScheme, ipamv1beta1.AddToScheme, ipamv1.AddToScheme,
		),
		options: func(s *runtime.Scheme, o Options) ctrl.Options {
			return ctrl.Options{
				Cache:  coresetup.ManagerCacheOptions(s, name, o.Namespace, o.SyncPeriod),
				Client: coresetup.ManagerClientOptions(),
			}
		},
		setup: func(ctx context.Context, mgr ctrl.Manager, o Options) error {
			if err := index.AddDefaultIndexes(ctx, mgr); err != nil {
				return errors.Wrap(err, "cannot add indexes")
			}
			clusterCache, err := newClusterCache(ctx, mgr, o, coresetup.ClusterCacheCacheOptions(),
				coresetup.ClusterCacheClientOptions(name, clusterCacheQPS, clusterCacheBurst))
			if err != nil {
				return err
			}
			if err := coreReconcilers(ctx, mgr, o, clusterCache); err != nil {
				return err
			}
			return coreWebhooks(mgr, clusterCache)
		},
	}
}

// partialSecretCache is the metadata-only Secret cache the ClusterResourceSet controller watches
// every Secret with. Upstream: core/main.go.
func partialSecretCache(mgr ctrl.Manager, o Options) (ctrlcache.Cache, error) {
	var namespaces map[string]ctrlcache.Config
	if o.Namespace != "" {
		namespaces = map[string]ctrlcache.Config{o.Namespace: {}}
	}
	c, err := ctrlcache.New(mgr.GetConfig(), ctrlcache.Options{
		Scheme:            mgr.GetScheme(),
		Mapper:            mgr.GetRESTMapper(),
		HTTPClient:        mgr.GetHTTPClient(),
		SyncPeriod:        &o.SyncPeriod,
		DefaultNamespaces: namespaces,
		DefaultTransform: func(in any) (any, error) {
			obj, ok := in.(*metav1.PartialObjectMetadata)
			if !ok || obj.GetObjectKind().GroupVersionKind() != corev1.SchemeGroupVersion.WithKind("Secret") {
				return nil, fmt.Errorf("metadata-only Secret cache got %T", in)
			}
			return ctrlcache.TransformStripManagedFields()(obj)
		},
	})
	if err != nil {
		return nil, errors.Wrap(err, "cannot create the metadata-only Secret cache")
	}
	return c, errors.Wrap(mgr.Add(c), "cannot add the metadata-only Secret cache")
}

func coreReconcilers(ctx context.Context, mgr ctrl.Manager, o Options, clusterCache clustercache.ClusterCache) error {
	secrets, err := partialSecretCache(mgr, o)
	if err != nil {
		return err
	}
	c, r := mgr.GetClient(), mgr.GetAPIReader()
	opts := concurrency(o)

	type reconciler struct {
		name  string
		setup func() error
	}
	rs := []reconciler{
		{"ClusterClass", func() error {
			return (&clusterclass.Reconciler{Client: c}).SetupWithManager(ctx, mgr, opts)
		}},
		{"ClusterTopology", func() error {
			return (&topologycluster.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache}).SetupWithManager(ctx, mgr, opts)
		}},
		{"MachineDeploymentTopology", func() error {
			return (&topologymachinedeployment.Reconciler{Client: c, APIReader: r}).SetupWithManager(ctx, mgr, opts)
		}},
		{"MachineSetTopology", func() error {
			return (&topologymachineset.Reconciler{Client: c, APIReader: r}).SetupWithManager(ctx, mgr, opts)
		}},
		{"Cluster", func() error {
			return (&cluster.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache, RemoteConnectionGracePeriod: remoteConnectionGracePeriod}).SetupWithManager(ctx, mgr, opts)
		}},
		{"Machine", func() error {
			return (&machine.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache, RemoteConditionsGracePeriod: remoteConditionsGracePeriod}).SetupWithManager(ctx, mgr, opts)
		}},
		{"MachineSet", func() error {
			return (&machineset.Reconciler{
				Client: c, APIReader: r, ClusterCache: clusterCache,
				PreflightChecks: sets.New(clusterv1.MachineSetPreflightCheckAll),
			}).SetupWithManager(ctx, mgr, opts)
		}},
		{"MachineDeployment", func() error {
			return (&machinedeployment.Reconciler{Client: c, APIReader: r}).SetupWithManager(ctx, mgr, opts)
		}},
		{"ClusterResourceSet", func() error {
			return (&clusterresourceset.Reconciler{Client: c, ClusterCache: clusterCache}).SetupWithManager(ctx, mgr, opts, secrets)
		}},
		{"ClusterResourceSetBinding", func() error {
			return (&clusterresourcesetbinding.Reconciler{Client: c}).SetupWithManager(ctx, mgr, opts)
		}},
		{"MachineHealthCheck", func() error {
			return (&machinehealthcheck.Reconciler{Client: c, ClusterCache: clusterCache}).SetupWithManager(ctx, mgr, opts)
		}},
	}
	if feature.Gates.Enabled(feature.MachinePool) {
		rs = append(rs, reconciler{"MachinePool", func() error {
			return (&machinepool.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache}).SetupWithManager(ctx, mgr, opts)
		}})
	}
	for _, rc := range rs {
		if err := rc.setup(); err != nil {
			return errors.Wrapf(err, "cannot set up the %s controller", rc.name)
		}
	}
	return nil
}

type webhookSetup interface {
	SetupWebhookWithManager(mgr ctrl.Manager) error
}

func setupWebhooks(mgr ctrl.Manager, hooks ...webhookSetup) error {
	for _, h := range hooks {
		if err := h.SetupWebhookWithManager(mgr); err != nil {
			return errors.Wrapf(err, "cannot set up webhook %T", h)
		}
	}
	return nil
}

func coreWebhooks(mgr ctrl.Manager, clusterCache clustercache.ClusterCache) error {
	return setupWebhooks(mgr,
		&coreadmission.ClusterClass{Client: mgr.GetClient()},
		&coreadmission.Cluster{Client: mgr.GetClient(), ClusterCacheReader: clusterCache},
		&coreadmission.Machine{},
		&coreadmission.MachineSet{},
		&coreadmission.MachineDeployment{},
		&coreadmission.MachineDrainRule{},
		&coreadmission.MachinePool{},
		&coreadmission.ClusterResourceSet{},
		&coreadmission.ClusterResourceSetBinding{},
		&coreadmission.MachineHealthCheck{},
		&coreadmission.ExtensionConfig{},
		&coreadmission.IPAddress{Client: mgr.GetAPIReader()},
		&coreadmission.IPAddressClaim{},
	)
}
