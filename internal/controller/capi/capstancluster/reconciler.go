/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package capstancluster reconciles CapstanClusters: each gets a LoadBalancer managed resource in
// front of its control plane, whose endpoint becomes the cluster's control-plane endpoint.
package capstancluster

import (
	"context"
	"net"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/annotations"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/finalizers"
	"sigs.k8s.io/cluster-api/util/patch"
	"sigs.k8s.io/cluster-api/util/paused"
	"sigs.k8s.io/cluster-api/util/predicates"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/capi/ready"
)

// waitForDeletion is how soon a CapstanCluster whose LoadBalancer is still going is looked at
// again. The LoadBalancer's own events usually come first.
const waitForDeletion = 5 * time.Second

const (
	errNoClient        = "the CapstanCluster reconciler needs a client"
	errSetup           = "cannot set up the CapstanCluster controller"
	errGet             = "cannot get CapstanCluster"
	errGetCluster      = "cannot get the owner Cluster"
	errRemoveFinalizer = "cannot remove the finalizer of CapstanCluster"
	errPatchHelper     = "cannot create the patch helper"
	errPaused          = "cannot set the Paused condition"
	errGetLB           = "cannot get LoadBalancer"
	errCreateLB        = "cannot create LoadBalancer"
	errDeleteLB        = "cannot delete LoadBalancer"
	errNotOwned        = "LoadBalancer exists and is not controlled by this CapstanCluster"
	errPatch           = "cannot patch CapstanCluster"
)

// Reconciler reconciles CapstanClusters.
type Reconciler struct {
	// Client reads and writes CapstanClusters, Clusters and LoadBalancers.
	Client client.Client
}

// SetupWithManager adds the CapstanCluster controller to mgr.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, o controller.Options) error {
	if r.Client == nil {
		return errors.New(errNoClient)
	}
	log := ctrl.LoggerFrom(ctx).WithValues("controller", "capstancluster")
	err := ctrl.NewControllerManagedBy(mgr).
		Named("capstancluster").
		For(&infrav1.CapstanCluster{}).
		Owns(&networkv1alpha1.LoadBalancer{}).
		WithOptions(o).
		Watches(
			&clusterv1.Cluster{},
			handler.EnqueueRequestsFromMapFunc(util.ClusterToInfrastructureMapFunc(ctx,
				infrav1.CapstanClusterGroupVersionKind, mgr.GetClient(), &infrav1.CapstanCluster{})),
			builder.WithPredicates(predicates.ClusterPausedTransitions(mgr.GetScheme(), log)),
		).
		Complete(r)
	return errors.Wrap(err, errSetup)
}

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=capstanclusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=capstanclusters/status;capstanclusters/finalizers,verbs=update;patch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=network.capstan.dev,resources=loadbalancers,verbs=get;list;watch;create;delete

// Reconcile makes a CapstanCluster's LoadBalancer and reports its endpoint, or deletes it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, rerr error) {
	capstanCluster := &infrav1.CapstanCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, capstanCluster); err != nil {
		return ctrl.Result{}, errors.Wrap(client.IgnoreNotFound(err), errGet)
	}
	if annotations.IsExternallyManaged(capstanCluster) {
		return ctrl.Result{}, nil
	}

	cl, err := util.GetOwnerCluster(ctx, r.Client, capstanCluster.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, errors.Wrap(err, errGetCluster)
	}
	if cl == nil {
		// NOTE: without an owner Cluster nothing was made, so nothing needs cleaning up.
		if !capstanCluster.GetDeletionTimestamp().IsZero() && controllerutil.ContainsFinalizer(capstanCluster, infrav1.ClusterFinalizer) {
			orig := capstanCluster.DeepCopy()
			controllerutil.RemoveFinalizer(capstanCluster, infrav1.ClusterFinalizer)
			return ctrl.Result{}, errors.Wrap(r.Client.Patch(ctx, capstanCluster, client.MergeFrom(orig)), errRemoveFinalizer)
		}
		return ctrl.Result{}, nil
	}

	if added, err := finalizers.EnsureFinalizer(ctx, r.Client, capstanCluster, infrav1.ClusterFinalizer); err != nil || added {
		return ctrl.Result{}, err
	}
	ph, err := patch.NewHelper(capstanCluster, r.Client)
	if err != nil {
		return ctrl.Result{}, errors.Wrap(err, errPatchHelper)
	}
	if isPaused, requeue, err := paused.EnsurePausedCondition(ctx, r.Client, cl, capstanCluster); err != nil || isPaused || requeue {
		return ctrl.Result{}, errors.Wrap(err, errPaused)
	}
	defer func() {
		if err := patchCapstanCluster(ctx, ph, capstanCluster); err != nil {
			rerr = kerrors.NewAggregate([]error{rerr, err})
		}
	}()

	if !capstanCluster.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, capstanCluster)
	}
	return r.reconcileNormal(ctx, cl, capstanCluster)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	capstanCluster.Status.FailureDomains = failureDomains(capstanCluster)

	want := loadBalancer(cl, capstanCluster)
	lb := &networkv1alpha1.LoadBalancer{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), lb)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Client.Create(ctx, want); err != nil {
			setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerFailedReason, err.Error())
			return ctrl.Result{}, errors.Wrapf(err, "%s %s", errCreateLB, want.GetName())
		}
		log.Info("Created LoadBalancer", "loadBalancer", want.GetName())
		setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerProvisioningReason, "LoadBalancer "+want.GetName()+" created")
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, errors.Wrapf(err, "%s %s", errGetLB, want.GetName())
	}
	if !metav1.IsControlledBy(lb, capstanCluster) {
		setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerFailedReason, errNotOwned)
		return ctrl.Result{}, errors.Errorf("%s %s", errNotOwned, lb.GetName())
	}

	ep, ok := endpoint(lb)
	if !ok {
		msg := "waiting for LoadBalancer " + lb.GetName() + " to be ready and report an endpoint"
		if c := lb.GetCondition(xpv2.TypeSynced); c.Reason == xpv2.ReasonReconcileError {
			log.Info("LoadBalancer cannot be provisioned", "loadBalancer", lb.GetName(), "reason", c.Message)
			setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerFailedReason, c.Message)
			return ctrl.Result{}, nil
		}
		log.Info("Waiting for LoadBalancer to be ready and report an endpoint", "loadBalancer", lb.GetName())
		setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerProvisioningReason, msg)
		return ctrl.Result{}, nil
	}
	if lb.Status.AtProvider.VirtualIP {
		// NOTE: written before the cluster is provisioned, so it is there for the first machine.
		if err := r.applyKubeVIPManifest(ctx, cl, capstanCluster, ep); err != nil {
			setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerFailedReason, err.Error())
			return ctrl.Result{}, err
		}
	}
	// NOTE: the endpoint is in every kubeconfig of the cluster, so once set it never moves.
	if capstanCluster.Spec.ControlPlaneEndpoint.IsZero() {
		log.Info("Control plane endpoint set", "loadBalancer", lb.GetName(), "endpoint", net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port))))
		capstanCluster.Spec.ControlPlaneEndpoint = ep
	}
	capstanCluster.Status.Initialization.Provisioned = ptr.To(true)
	setLoadBalancerCondition(capstanCluster, metav1.ConditionTrue, infrav1.LoadBalancerAvailableReason, "")
	return ctrl.Result{}, nil
}

func (r *Reconciler) reconcileDelete(ctx context.Context, capstanCluster *infrav1.CapstanCluster) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	lb := &networkv1alpha1.LoadBalancer{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: capstanCluster.GetNamespace(), Name: LoadBalancerName(capstanCluster)}, lb)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && !metav1.IsControlledBy(lb, capstanCluster)):
		log.Info("LoadBalancer gone, removing the finalizer")
		controllerutil.RemoveFinalizer(capstanCluster, infrav1.ClusterFinalizer)
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, errors.Wrapf(err, "%s %s", errGetLB, LoadBalancerName(capstanCluster))
	}
	setLoadBalancerCondition(capstanCluster, metav1.ConditionFalse, infrav1.LoadBalancerDeletingReason, "waiting for LoadBalancer "+lb.GetName()+" to be deleted")
	if lb.GetDeletionTimestamp().IsZero() {
		log.Info("Deleting LoadBalancer", "loadBalancer", lb.GetName())
		if err := r.Client.Delete(ctx, lb); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, errors.Wrapf(err, "%s %s", errDeleteLB, lb.GetName())
		}
	}
	log.Info("Waiting for LoadBalancer to be deleted", "loadBalancer", lb.GetName())
	return ctrl.Result{RequeueAfter: waitForDeletion}, nil
}

func setLoadBalancerCondition(capstanCluster *infrav1.CapstanCluster, s metav1.ConditionStatus, reason, msg string) {
	conditions.Set(capstanCluster, metav1.Condition{Type: infrav1.LoadBalancerAvailableCondition, Status: s, Reason: reason, Message: msg})
}

// patchCapstanCluster sets the Ready summary and writes the CapstanCluster back, spec and status.
func patchCapstanCluster(ctx context.Context, ph *patch.Helper, capstanCluster *infrav1.CapstanCluster) error {
	if err := ready.Set(capstanCluster, infrav1.LoadBalancerAvailableCondition, infrav1.LoadBalancerAvailableCondition); err != nil {
		return err
	}
	return errors.Wrap(ph.Patch(ctx, capstanCluster, patch.WithOwnedConditions{Conditions: []string{
		clusterv1.PausedCondition, infrav1.ReadyCondition, infrav1.LoadBalancerAvailableCondition,
	}}), errPatch)
}
