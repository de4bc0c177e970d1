/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package timeline reads when each stage of a ClusterClaim's life happened, from the creation
// times and condition transitions of the claim and of what it became: where its seconds go.
package timeline

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	networkv1alpha1 "github.com/capstan-dev/capstan/apis/network/v1alpha1"
	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
)

// compositeLabel names the claim on what Crossplane composed for it.
const compositeLabel = "crossplane.io/composite"

// An Event is a stage of a claim's life.
type Event struct {
	At     time.Time
	Stage  string
	Object string
}

// Read returns the stages the claim ns/name has reached, in the order they happened. A stage
// that happened more than once (a condition that went False and True again) shows its latest.
func Read(ctx context.Context, c client.Reader, ns, name string) ([]Event, error) {
	claim := &unstructured.Unstructured{}
	claim.SetGroupVersionKind(platformv1alpha1.ClusterClaimGroupVersionKind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, claim); err != nil {
		return nil, errors.Wrapf(err, "cannot get ClusterClaim %s/%s", ns, name)
	}
	var out []Event
	add := func(at time.Time, stage, object string) {
		if !at.IsZero() {
			out = append(out, Event{At: at, Stage: stage, Object: object})
		}
	}
	claimConds := conditions(claim)
	add(claim.GetCreationTimestamp().Time, "claim filed", "ClusterClaim/"+name)
	add(trueSince(claimConds, string(xpv2.TypeReady)), "claim Ready", "ClusterClaim/"+name)

	classes := &clusterv1.ClusterClassList{}
	if err := list(ctx, c, classes, ns, client.MatchingLabels{compositeLabel: name}); err != nil {
		return nil, err
	}
	for _, cc := range classes.Items {
		add(cc.CreationTimestamp.Time, "composed: ClusterClass created", "ClusterClass/"+cc.Name)
	}
	clusters := &clusterv1.ClusterList{}
	if err := list(ctx, c, clusters, ns, client.MatchingLabels{compositeLabel: name}); err != nil {
		return nil, err
	}
	for i := range clusters.Items {
		events, err := clusterEvents(ctx, c, &clusters.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, events...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// clusterEvents are the stages of a Cluster: its load balancer, control plane and machines.
func clusterEvents(ctx context.Context, c client.Reader, cl *clusterv1.Cluster) ([]Event, error) {
	var out []Event
	add := func(at time.Time, stage, object string) {
		if !at.IsZero() {
			out = append(out, Event{At: at, Stage: stage, Object: object})
		}
	}
	byCluster := client.MatchingLabels{clusterv1.ClusterNameLabel: cl.Name}
	add(cl.CreationTimestamp.Time, "Cluster created", "Cluster/"+cl.Name)
	add(trueSince(cl.Status.Conditions, clusterv1.AvailableCondition), "Cluster available", "Cluster/"+cl.Name)

	lbs := &networkv1alpha1.LoadBalancerList{}
	if err := list(ctx, c, lbs, cl.Namespace, byCluster); err != nil {
		return nil, err
	}
	for _, lb := range lbs.Items {
		add(lb.CreationTimestamp.Time, "load balancer created", "LoadBalancer/"+lb.Name)
		add(xpTrueSince(lb.GetCondition(xpv2.TypeReady)), "load balancer ready", "LoadBalancer/"+lb.Name)
	}
	if ref := cl.Spec.ControlPlaneRef; ref.Name != "" {
		kcp := &controlplanev1.KubeadmControlPlane{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: cl.Namespace, Name: ref.Name}, kcp); client.IgnoreNotFound(err) != nil {
			return nil, errors.Wrapf(err, "cannot get KubeadmControlPlane %s/%s", cl.Namespace, ref.Name)
		}
		add(trueSince(kcp.Status.Conditions, controlplanev1.KubeadmControlPlaneAvailableCondition), "control plane available", "KubeadmControlPlane/"+kcp.Name)
	}

	machines := &clusterv1.MachineList{}
	if err := list(ctx, c, machines, cl.Namespace, byCluster); err != nil {
		return nil, err
	}
	instances := &computev1alpha1.InstanceList{}
	if err := list(ctx, c, instances, cl.Namespace, byCluster); err != nil {
		return nil, err
	}
	for _, m := range machines.Items {
		role := "worker"
		if _, ok := m.Labels[clusterv1.MachineControlPlaneLabel]; ok {
			role = "control-plane"
		}
		obj := "Machine/" + m.Name
		add(m.CreationTimestamp.Time, role+" machine created", obj)
		for _, in := range instances.Items {
			if in.Name == m.Spec.InfrastructureRef.Name {
				add(in.CreationTimestamp.Time, role+" instance created", "Instance/"+in.Name)
				add(xpTrueSince(in.GetCondition(xpv2.TypeReady)), role+" instance running", "Instance/"+in.Name)
			}
		}
		add(trueSince(m.Status.Conditions, clusterv1.MachineNodeReadyCondition), role+" node ready", obj)
	}
	return out, nil
}

func list(ctx context.Context, c client.Reader, l client.ObjectList, ns string, sel client.MatchingLabels) error {
	err := c.List(ctx, l, client.InNamespace(ns), sel)
	if meta.IsNoMatchError(err) {
		return nil // not installed (yet): no such stage
	}
	return errors.Wrapf(err, "cannot list %T in %s", l, ns)
}

// trueSince is when the condition became True, or zero while it is not.
func trueSince(conds []metav1.Condition, typ string) time.Time {
	for _, c := range conds {
		if c.Type == typ && c.Status == metav1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

func xpTrueSince(c xpv2.Condition) time.Time {
	if c.Status != "True" {
		return time.Time{}
	}
	return c.LastTransitionTime.Time
}

// conditions are an unstructured object's status.conditions.
func conditions(u *unstructured.Unstructured) []metav1.Condition {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	out := make([]metav1.Condition, 0, len(raw))
	for _, r := range raw {
		m, _ := r.(map[string]any)
		c := metav1.Condition{Type: fmt.Sprint(m["type"]), Status: metav1.ConditionStatus(fmt.Sprint(m["status"]))}
		if s, ok := m["lastTransitionTime"].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				c.LastTransitionTime = metav1.NewTime(t)
			}
		}
		out = append(out, c)
	}
	return out
}

// Print writes events as a table of offsets from the first, with the time between stages.
func Print(w io.Writer, events []Event) error {
	if len(events) == 0 {
		_, err := fmt.Fprintln(w, "no stages yet")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AFTER\tSTEP\tSTAGE\tOBJECT")
	prev := events[0].At
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t+%s\t%s\t%s\n", seconds(e.At.Sub(events[0].At)), seconds(e.At.Sub(prev)), e.Stage, e.Object)
		prev = e.At
	}
	return tw.Flush()
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.0fs", d.Seconds())
}
