/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package capstanmachine reconciles CapstanMachines: each gets an Instance managed resource that
// boots from its Machine's bootstrap data; control-plane Instances become backends of the
// cluster's LoadBalancer.
package capstanmachine

import (
	"context"
	"slices"
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
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	"github.com/capstan-dev/capstan/internal/controller/capi/ready"
)

// waitForDeletion is how soon a CapstanMachine whose Instance is still going is looked at again.
// The Instance's own events usually come first.
const waitForDeletion = 5 * time.Second

const (
	errNoClient        = "the CapstanMachine reconciler needs a client"
	errSetup           = "cannot set up the CapstanMachine controller"
	errMapper          = "cannot map Clusters to CapstanMachines"
	errGet             = "cannot get CapstanMachine"
	errGetMachine      = "cannot get the owner Machine"
	errGetCluster      = "cannot get the Machine's Cluster"
	errGetCC           = "cannot get the Cluster's CapstanCluster"
	errRemoveFinalizer = "cannot remove the finalizer of CapstanMachine"
	errPatchHelper     = "cannot create the patch helper"
	errPaused          = "cannot set the Paused condition"
	errGetInstance     = "cannot get Instance"
	errCreateInstance  = "cannot create Instance"
	errDeleteInstance  = "cannot delete Instance"
	errNotOwned        = "Instance exists and is not controlled by this CapstanMachine"
	errPatch           = "cannot patch CapstanMachine"
)

// Reconciler reconciles CapstanMachines.
type Reconciler struct {
	// Client reads and writes CapstanMachines, Machines, Clusters, CapstanClusters, Instances and
	// LoadBalancers.
	Client client.Client
}

// SetupWithManager adds the CapstanMachine controller to mgr.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, o controller.Options) error {
	if r.Client == nil {
		return errors.New(errNoClient)
	}
	log := ctrl.LoggerFrom(ctx).WithValues("controller", "capstanmachine")
	clusterToMachines, err := util.ClusterToTypedObjectsMapper(mgr.GetClient(), &infrav1.CapstanMachineList{}, mgr.GetScheme())
	if err != nil {
		return errors.Wrap(err, errMapper)
	}
	err = ctrl.NewControllerManagedBy(mgr).
		Named("capstanmachine").
		For(&infrav1.CapstanMachine{}).
		Owns(&computev1alpha1.Instance{}).
		WithOptions(o).
		Watches(
			&clusterv1.Machine{},
			handler.EnqueueRequestsFromMapFunc(util.MachineToInfrastructureMapFunc(infrav1.CapstanMachineGroupVersionKind)),
		).
		Watches(
			&clusterv1.Cluster{},
			handler.EnqueueRequestsFromMapFunc(clusterToMachines),
			builder.WithPredicates(predicates.ClusterPausedTransitionsOrInfrastructureProvisioned(mgr.GetScheme(), log)),
		).
		Complete(r)
	return errors.Wrap(err, errSetup)
}

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=capstanmachines,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=capstanmachines/status;capstanmachines/finalizers,verbs=update;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=capstanclusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters;machines,verbs=get;list;watch
// +kubebuilder:rbac:groups=compute.capstan.dev,resources=instances,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=network.capstan.dev,resources=loadbalancers,verbs=get;list;watch;update

// Reconcile makes a CapstanMachine's Instance and reports it to Cluster API, or deletes it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, rerr error) {
	cm := &infrav1.CapstanMachine{}
	if err := r.Client.Get(ctx, req.NamespacedName, cm); err != nil {
		return ctrl.Result{}, errors.Wrap(client.IgnoreNotFound(err), errGet)
	}
	if annotations.IsExternallyManaged(cm) {
		return ctrl.Result{}, nil
	}

	m, err := util.GetOwnerMachine(ctx, r.Client, cm.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, errors.Wrap(err, errGetMachine)
	}
	if m == nil {
		// NOTE: without an owner Machine nothing was made, so nothing needs cleaning up.
		if !cm.GetDeletionTimestamp().IsZero() && controllerutil.ContainsFinalizer(cm, infrav1.MachineFinalizer) {
			orig := cm.DeepCopy()
			controllerutil.RemoveFinalizer(cm, infrav1.MachineFinalizer)
			return ctrl.Result{}, errors.Wrap(r.Client.Patch(ctx, cm, client.MergeFrom(orig)), errRemoveFinalizer)
		}
		return ctrl.Result{}, nil
	}
	cl, err := util.GetClusterFromMetadata(ctx, r.Client, m.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, errors.Wrap(err, errGetCluster)
	}

	if added, err := finalizers.EnsureFinalizer(ctx, r.Client, cm, infrav1.MachineFinalizer); err != nil || added {
		return ctrl.Result{}, err
	}
	ph, err := patch.NewHelper(cm, r.Client)
	if err != nil {
		return ctrl.Result{}, errors.Wrap(err, errPatchHelper)
	}
	if isPaused, requeue, err := paused.EnsurePausedCondition(ctx, r.Client, cl, cm); err != nil || isPaused || requeue {
		return ctrl.Result{}, errors.Wrap(err, errPaused)
	}
	controlPlane := util.IsControlPlaneMachine(m)
	defer func() {
		if err := patchCapstanMachine(ctx, ph, cm, controlPlane); err != nil {
			rerr = kerrors.NewAggregate([]error{rerr, err})
		}
	}()

	capstanCluster, err := r.capstanCluster(ctx, cl)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !cm.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, cl, capstanCluster, m, cm)
	}
	return r.reconcileNormal(ctx, cl, capstanCluster, m, cm)
}

// capstanCluster is the Cluster's CapstanCluster, or nil while the Cluster names none.
func (r *Reconciler) capstanCluster(ctx context.Context, cl *clusterv1.Cluster) (*infrav1.CapstanCluster, error) {
	ref := cl.Spec.InfrastructureRef
	if !ref.IsDefined() || ref.Kind != infrav1.CapstanClusterKind {
		return nil, nil
	}
	capstanCluster := &infrav1.CapstanCluster{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: cl.GetNamespace(), Name: ref.Name}, capstanCluster)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return capstanCluster, errors.Wrapf(err, "%s %s", errGetCC, ref.Name)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster, m *clusterv1.Machine, cm *infrav1.CapstanMachine) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	if !ptr.Deref(cl.Status.Initialization.InfrastructureProvisioned, false) || capstanCluster == nil {
		log.Info("Waiting for the Cluster's infrastructure")
		setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.WaitingForClusterInfrastructureReason, "waiting for the Cluster's infrastructure")
		return ctrl.Result{}, nil
	}
	if m.Spec.Bootstrap.DataSecretName == nil {
		log.Info("Waiting for the Machine's bootstrap data")
		setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.WaitingForBootstrapDataReason, "waiting for the Machine's bootstrap data")
		return ctrl.Result{}, nil
	}

	want := instance(cl, capstanCluster, m, cm)
	in := &computev1alpha1.Instance{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), in)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Client.Create(ctx, want); err != nil {
			setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.InstanceFailedReason, err.Error())
			return ctrl.Result{}, errors.Wrapf(err, "%s %s", errCreateInstance, want.GetName())
		}
		log.Info("Created Instance", "instance", want.GetName())
		setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.InstanceProvisioningReason, "Instance "+want.GetName()+" created")
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, errors.Wrapf(err, "%s %s", errGetInstance, want.GetName())
	}
	if !metav1.IsControlledBy(in, cm) {
		setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.InstanceFailedReason, errNotOwned)
		return ctrl.Result{}, errors.Errorf("%s %s", errNotOwned, in.GetName())
	}

	observe(in, cm)
	if msg := failure(in); msg != "" {
		log.Info("Instance cannot run", "instance", in.GetName(), "reason", msg)
		setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.InstanceFailedReason, msg)
		return ctrl.Result{}, nil
	}
	if !running(in) {
		log.Info("Waiting for Instance to run", "instance", in.GetName(), "state", in.Status.AtProvider.State)
		setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.InstanceProvisioningReason, "waiting for Instance "+in.GetName()+" to run")
		return ctrl.Result{}, nil
	}
	setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionTrue, infrav1.InstanceProvisionedReason, "")

	if util.IsControlPlaneMachine(m) {
		ids, err := syncBackends(ctx, r.Client, cl, capstanCluster, "")
		if err != nil {
			setCondition(cm, infrav1.LoadBalancerBackendCondition, metav1.ConditionFalse, infrav1.LoadBalancerBackendFailedReason, err.Error())
			return ctrl.Result{}, err
		}
		if !slices.Contains(ids, meta.GetExternalName(in)) {
			setCondition(cm, infrav1.LoadBalancerBackendCondition, metav1.ConditionFalse, infrav1.LoadBalancerBackendFailedReason, "Instance "+in.GetName()+" has no cloud ID yet")
			return ctrl.Result{}, nil
		}
		setCondition(cm, infrav1.LoadBalancerBackendCondition, metav1.ConditionTrue, infrav1.LoadBalancerBackendReason, "")
	}
	if !ptr.Deref(cm.Status.Initialization.Provisioned, false) {
		log.Info("Machine infrastructure provisioned", "instance", in.GetName(), "providerID", cm.Spec.ProviderID)
	}
	cm.Status.Initialization.Provisioned = ptr.To(true)
	return ctrl.Result{}, nil
}

func (r *Reconciler) reconcileDelete(ctx context.Context, cl *clusterv1.Cluster, capstanCluster *infrav1.CapstanCluster, m *clusterv1.Machine, cm *infrav1.CapstanMachine) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	// NOTE: take the machine out of the load balancer before it goes, so no request is sent to it.
	if util.IsControlPlaneMachine(m) && capstanCluster != nil {
		if _, err := syncBackends(ctx, r.Client, cl, capstanCluster, cm.GetName()); err != nil && !apierrors.IsNotFound(err) {
			setCondition(cm, infrav1.LoadBalancerBackendCondition, metav1.ConditionFalse, infrav1.LoadBalancerBackendFailedReason, err.Error())
			return ctrl.Result{}, err
		}
	}
	in := &computev1alpha1.Instance{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: cm.GetNamespace(), Name: cm.GetName()}, in)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && !metav1.IsControlledBy(in, cm)):
		log.Info("Instance gone, removing the finalizer")
		controllerutil.RemoveFinalizer(cm, infrav1.MachineFinalizer)
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, errors.Wrapf(err, "%s %s", errGetInstance, cm.GetName())
	}
	setCondition(cm, infrav1.InstanceProvisionedCondition, metav1.ConditionFalse, infrav1.InstanceDeletingReason, "waiting for Instance "+in.GetName()+" to be deleted")
	if in.GetDeletionTimestamp().IsZero() {
		log.Info("Deleting Instance", "instance", in.GetName())
		if err := r.Client.Delete(ctx, in); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, errors.Wrapf(err, "%s %s", errDeleteInstance, in.GetName())
		}
	}
	log.Info("Waiting for Instance to be deleted", "instance", in.GetName())
	return ctrl.Result{RequeueAfter: waitForDeletion}, nil
}

func setCondition(cm *infrav1.CapstanMachine, t string, s metav1.ConditionStatus, reason, msg string) {
	conditions.Set(cm, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg})
}

// patchCapstanMachine sets the Ready summary and writes the CapstanMachine back, spec and status.
func patchCapstanMachine(ctx context.Context, ph *patch.Helper, cm *infrav1.CapstanMachine, controlPlane bool) error {
	summarised := []string{infrav1.InstanceProvisionedCondition}
	if controlPlane {
		summarised = append(summarised, infrav1.LoadBalancerBackendCondition)
	}
	if err := ready.Set(cm, infrav1.InstanceProvisionedCondition, summarised...); err != nil {
		return err
	}
	return errors.Wrap(ph.Patch(ctx, cm, patch.WithOwnedConditions{Conditions: []string{
		clusterv1.PausedCondition, infrav1.ReadyCondition, infrav1.InstanceProvisionedCondition, infrav1.LoadBalancerBackendCondition,
	}}), errPatch)
}
