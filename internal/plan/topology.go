/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package plan

import (
	"context"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterclass"
	topologycluster "sigs.k8s.io/cluster-api/core/reconcilers/topology/cluster"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/cluster-api/feature"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// maxSteps bounds the topology passes: one for the control plane and one per worker pool
// in a version upgrade; a plan with more pools than this stops there and says so.
const maxSteps = 12

var (
	gkKCP     = schema.GroupKind{Group: "controlplane.cluster.x-k8s.io", Kind: "KubeadmControlPlane"}
	gkMD      = schema.GroupKind{Group: clusterv1.GroupVersion.Group, Kind: "MachineDeployment"}
	gkMachine = schema.GroupKind{Group: clusterv1.GroupVersion.Group, Kind: "Machine"}
)

// topology runs Cluster API's own ClusterClass and Cluster topology reconcilers against an
// overlay: what they would write is what the plan shows.
type topology struct {
	ov       *overlay
	classes  *clusterclass.Reconciler
	clusters *topologycluster.Reconciler
	// webhook is Cluster API's Cluster webhook, reading the overlay.
	webhook *coreadmission.Cluster
}

// newTopology sets both reconcilers up on a manager that is never started: the topology
// reconciler keeps its state (desired-state generator, caches) in unexported fields that only
// its SetupWithManager fills. cfg must be read-only (readOnly) so that nothing the manager
// does on its own, such as recording an event, reaches the plane.
func newTopology(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, ov *overlay) (*topology, error) {
	if err := feature.MutableGates.SetFromMap(map[string]bool{string(feature.ClusterTopology): true}); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 logr.Discard(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, errors.Wrap(err, "cannot set up Cluster API's reconcilers")
	}
	// A plan may run more than once in a process (tests); controller names need not be unique.
	opts := controller.Options{SkipNameValidation: ptr.To(true)}
	cc, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{SecretClient: mgr.GetAPIReader(), Client: clustercache.ClientOptions{UserAgent: "capstan-plan"}}, opts)
	if err != nil {
		return nil, errors.Wrap(err, "cannot set up Cluster API's reconcilers")
	}
	t := &topology{
		ov:       ov,
		classes:  &clusterclass.Reconciler{Client: ov},
		clusters: &topologycluster.Reconciler{Client: ov, APIReader: ov, ClusterCache: cc},
		webhook:  &coreadmission.Cluster{Client: ov, ClusterCacheReader: cc},
	}
	if err := t.clusters.SetupWithManager(ctx, quietManager{mgr}, opts); err != nil {
		return nil, errors.Wrap(err, "cannot set up Cluster API's topology reconciler")
	}
	return t, nil
}

// reconcileClasses reconciles each class in turn.
func (t *topology) reconcileClasses(ctx context.Context, classes []objectKey) error {
	for _, k := range classes {
		if err := t.reconcileClass(ctx, client.ObjectKey{Namespace: k.namespace, Name: k.name}); err != nil {
			return err
		}
	}
	return nil
}

// reconcileClass runs the ClusterClass reconciler until the class settles: it sets the class's
// status (its variables, the generation it saw) that the function and the topology wait for,
// and its first reconcile only records that the class is not paused.
func (t *topology) reconcileClass(ctx context.Context, key client.ObjectKey) error {
	k := objectKey{gk: schema.GroupKind{Group: clusterv1.GroupVersion.Group, Kind: "ClusterClass"}, namespace: key.Namespace, name: key.Name}
	for range maxSteps {
		before := t.ov.objs[k]
		if _, err := t.classes.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
			return errors.Wrapf(err, "Cluster API's ClusterClass reconciler on %s", key)
		}
		if t.ov.objs[k] == before {
			return nil
		}
	}
	return errors.Errorf("Cluster API's ClusterClass reconciler did not settle on %s", key)
}

// A step is one topology pass: what Cluster API changes at once before it waits for the
// machines to roll.
type step struct {
	// changed are the KubeadmControlPlane and MachineDeployments whose spec this step changes.
	changed []objectKey
}

// reconcileCluster runs the topology reconciler until it changes no more control plane or
// MachineDeployment, settling each step's rollout in the overlay before the next, as Cluster
// API waits for the control plane before it upgrades the workers, and for one pool before the
// next.
func (t *topology) reconcileCluster(ctx context.Context, key client.ObjectKey) ([]step, error) {
	var steps []step
	for range maxSteps {
		before := t.ov.snapshot()
		if _, err := t.clusters.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
			return steps, errors.Wrap(err, "Cluster API's topology reconciler")
		}
		var s step
		for _, k := range t.ov.order {
			if (k.gk == gkKCP || k.gk == gkMD) && !equality.Semantic.DeepEqual(specOf(before[k]), specOf(t.ov.objs[k])) {
				s.changed = append(s.changed, k)
			}
		}
		if len(s.changed) == 0 {
			return steps, nil
		}
		steps = append(steps, s)
		if err := t.settle(ctx, key, s); err != nil {
			return steps, err
		}
	}
	return steps, errors.Errorf("the topology still changed after %d steps", maxSteps)
}

func specOf(u *unstructured.Unstructured) any {
	if u == nil {
		return nil
	}
	return u.Object["spec"]
}

// settle makes the overlay look as if a step's rollouts had finished: the machines run the
// version their owner asks for, and the control plane reports it. It is what the topology
// reconciler waits for before its next step; the plan assumes every rollout succeeds.
func (t *topology) settle(ctx context.Context, cluster client.ObjectKey, s step) error {
	for _, k := range s.changed {
		owner := t.ov.objs[k]
		if owner == nil {
			continue
		}
		version, _, _ := unstructured.NestedString(owner.Object, "spec", "version")
		sel := client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name, clusterv1.MachineControlPlaneLabel: ""}
		if k.gk == gkMD {
			version, _, _ = unstructured.NestedString(owner.Object, "spec", "template", "spec", "version")
			sel = client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name, clusterv1.MachineDeploymentNameLabel: k.name}
		} else {
			replicas, _, _ := unstructured.NestedInt64(owner.Object, "spec", "replicas")
			settled := owner.DeepCopy()
			for _, f := range []string{"replicas", "readyReplicas", "upToDateReplicas", "availableReplicas"} {
				_ = unstructured.SetNestedField(settled.Object, replicas, "status", f)
			}
			_ = unstructured.SetNestedField(settled.Object, version, "status", "version")
			_ = unstructured.SetNestedSlice(settled.Object, []any{map[string]any{"version": version, "replicas": replicas}}, "status", "versions")
			t.ov.simulate(k, settled)
		}
		machines := &clusterv1.MachineList{}
		if err := t.ov.List(ctx, machines, client.InNamespace(cluster.Namespace), sel); err != nil {
			return err
		}
		for i := range machines.Items {
			m := machines.Items[i].DeepCopy()
			m.Spec.Version = version
			if m.Status.NodeInfo != nil {
				m.Status.NodeInfo.KubeletVersion = version
			}
			u, err := toUnstructured(m, t.ov.Scheme())
			if err != nil {
				return err
			}
			t.ov.simulate(objectKey{gk: gkMachine, namespace: m.Namespace, name: m.Name}, u)
		}
	}
	return nil
}

// quietManager hands out a recorder that drops every event: a plan records nothing, and the
// manager's own recorder would retry the refused writes in the background.
type quietManager struct{ ctrl.Manager }

func (quietManager) GetEventRecorderFor(string) record.EventRecorder { return dropEvents{} }

type dropEvents struct{}

func (dropEvents) Event(runtime.Object, string, string, string)          {}
func (dropEvents) Eventf(runtime.Object, string, string, string, ...any) {}
func (dropEvents) AnnotatedEventf(runtime.Object, map[string]string, string, string, string, ...any) {
}

// machines runs the topology reconciler on the Cluster and judges every machine by what it
// leaves.
func (t *topology) machines(ctx context.Context, key client.ObjectKey) ([]Machine, error) {
	steps, err := t.reconcileCluster(ctx, key)
	if err != nil {
		return nil, &Refusal{Message: err.Error()}
	}
	cluster := &clusterv1.Cluster{}
	if err := t.ov.Get(ctx, key, cluster); err != nil {
		return nil, err
	}
	return machines(ctx, t.ov, cluster, steps)
}
