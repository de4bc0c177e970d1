/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle

import (
	"context"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap/zapcore"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	bootstrapv1beta1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta1" //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1beta1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta1" //nolint:staticcheck // NOTE: upstream webhooks need the old versions in the scheme.
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/reconcilers/kubeadmconfig"
	bootstrapsetup "sigs.k8s.io/cluster-api/bootstrap/kubeadm/setup"
	bootstrapadmission "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/reconcilers/kubeadmcontrolplane"
	controlplanesetup "sigs.k8s.io/cluster-api/controlplane/kubeadm/setup"
	controlplaneadmission "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/admission"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Settings of Cluster API's kubeadm control plane main (its flag defaults).
const (
	etcdDialTimeout = 10 * time.Second
	// kcpReconcileTimeout is longer than the default because KCP talks to every etcd member.
	kcpReconcileTimeout = 3 * time.Minute
)

// kubeadmControlPlane is Cluster API's kubeadm control plane manager (KubeadmControlPlanes).
// Upstream: controlplane/kubeadm/main.go.
func kubeadmControlPlane() component {
	const name = "cluster-api-kubeadm-control-plane-manager"
	return component{
		name: name,
		scheme: schemes(
			clientgoscheme.AddToScheme, clusterv1.AddToScheme,
			controlplanev1beta1.AddToScheme, controlplanev1.AddToScheme,
			bootstrapv1.AddToScheme, extv1.AddToScheme, runtimev1.AddToScheme,
		),
		options: func(s *runtime.Scheme, o Options) ctrl.Options {
			return ctrl.Options{
				Cache:  controlplanesetup.ManagerCacheOptions(s, name, o.Namespace, o.SyncPeriod),
				Client: controlplanesetup.ManagerClientOptions(),
			}
		},
		setup: func(ctx context.Context, mgr ctrl.Manager, o Options) error {
			clusterCache, err := newClusterCache(ctx, mgr, o, controlplanesetup.ClusterCacheCacheOptions(),
				controlplanesetup.ClusterCacheClientOptions(name, clusterCacheQPS, clusterCacheBurst))
			if err != nil {
				return err
			}
			secrets, err := controlplanesetup.CreateSecretCachingClient(mgr)
			if err != nil {
				return errors.Wrap(err, "cannot create the secret caching client")
			}
			// NOTE: upstream logs the etcd client at info; warnings are what an operator needs.
			etcdLogger, err := logutil.CreateDefaultZapLogger(zapcore.WarnLevel)
			if err != nil {
				return errors.Wrap(err, "cannot create the etcd client logger")
			}
			if err := (&kubeadmcontrolplane.Reconciler{
				Client:                      mgr.GetClient(),
				APIReader:                   mgr.GetAPIReader(),
				SecretCachingClient:         secrets,
				ClusterCache:                clusterCache,
				EtcdDialTimeout:             etcdDialTimeout,
				EtcdCallTimeout:             etcd.DefaultCallTimeout,
				EtcdLogger:                  etcdLogger,
				RemoteConditionsGracePeriod: remoteConditionsGracePeriod,
			}).SetupWithManager(ctx, mgr, controller.Options{
				MaxConcurrentReconciles: o.MaxConcurrentReconciles,
				ReconciliationTimeout:   kcpReconcileTimeout,
			}); err != nil {
				return errors.Wrap(err, "cannot set up the KubeadmControlPlane controller")
			}
			return setupWebhooks(mgr,
				&controlplaneadmission.KubeadmControlPlane{},
				&controlplaneadmission.ScaleValidator{Client: mgr.GetClient()},
				&controlplaneadmission.KubeadmControlPlaneTemplate{},
			)
		},
	}
}

// kubeadmBootstrap is Cluster API's kubeadm bootstrap manager (KubeadmConfigs).
// Upstream: bootstrap/kubeadm/main.go.
func kubeadmBootstrap() component {
	const name = "cluster-api-kubeadm-bootstrap-manager"
	return component{
		name: name,
		scheme: schemes(
			clientgoscheme.AddToScheme, extv1.AddToScheme, clusterv1.AddToScheme,
			bootstrapv1beta1.AddToScheme, bootstrapv1.AddToScheme,
		),
		options: func(s *runtime.Scheme, o Options) ctrl.Options {
			return ctrl.Options{
				Cache:  bootstrapsetup.ManagerCacheOptions(s, name, o.Namespace, o.SyncPeriod),
				Client: bootstrapsetup.ManagerClientOptions(),
			}
		},
		setup: func(ctx context.Context, mgr ctrl.Manager, o Options) error {
			if err := setupWebhooks(mgr,
				&bootstrapadmission.KubeadmConfig{},
				&bootstrapadmission.KubeadmConfigTemplate{},
			); err != nil {
				return err
			}
			clusterCache, err := newClusterCache(ctx, mgr, o, bootstrapsetup.ClusterCacheCacheOptions(),
				bootstrapsetup.ClusterCacheClientOptions(name, clusterCacheQPS, clusterCacheBurst))
			if err != nil {
				return err
			}
			secrets, err := bootstrapsetup.CreateSecretCachingClient(mgr)
			if err != nil {
				return errors.Wrap(err, "cannot create the secret caching client")
			}
			return errors.Wrap((&kubeadmconfig.Reconciler{
				Client:              mgr.GetClient(),
				SecretCachingClient: secrets,
				APIReader:           mgr.GetAPIReader(),
				ClusterCache:        clusterCache,
				TokenTTL:            kubeadmconfig.DefaultTokenTTL,
			}).SetupWithManager(ctx, mgr, concurrency(o)), "cannot set up the KubeadmConfig controller")
		},
	}
}
