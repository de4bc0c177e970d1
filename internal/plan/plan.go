/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package plan answers "what will this ClusterClaim change do to my machines?" before the
// change is applied. It runs the code that will act: the composition function in-process, the
// API server's admission as dry runs, and Cluster API's own ClusterClass and topology
// reconcilers and machine rules against an overlay of the management plane. Nothing in the
// plane changes.
package plan

import (
	"context"
	stderrors "errors"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// What a plan does to the claim.
const (
	ClaimCreate    = "create"
	ClaimUpdate    = "update"
	ClaimUnchanged = "unchanged"
)

// A Plan is what applying a claim would do.
type Plan struct {
	// Claim is namespace/name.
	Claim  string `json:"claim"`
	Action string `json:"action"`
	// Refused is why the change would not be accepted; nothing else is planned then.
	Refused string `json:"refused,omitempty"`
	// Composed are the objects the function composes that change.
	Composed []Object `json:"composed,omitempty"`
	// Topology are the Cluster API objects the topology reconciler changes.
	Topology []Object `json:"topology,omitempty"`
	// Machines are in the order Cluster API rolls them.
	Machines []Machine `json:"machines,omitempty"`
}

// An Object is one object a plan creates, updates or deletes.
type Object struct {
	Kind   string  `json:"kind"`
	Name   string  `json:"name"`
	Action string  `json:"action"`
	Fields []Field `json:"fields,omitempty"`
}

// Make plans applying claim to the management plane cfg points at.
func Make(ctx context.Context, cfg *rest.Config, claim *unstructured.Unstructured) (*Plan, error) {
	if err := named(claim); err != nil {
		return nil, err
	}
	cfg = readOnly(cfg)
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, clusterv1.AddToScheme, controlplanev1.AddToScheme, bootstrapv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	if claim.GetNamespace() == "" {
		claim.SetNamespace("default")
	}
	p := &Plan{Claim: claim.GetNamespace() + "/" + claim.GetName(), Action: ClaimCreate}
	ov := newOverlay(c)

	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(claim.GroupVersionKind())
	switch err := c.Get(ctx, client.ObjectKeyFromObject(claim), live); {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return nil, errors.Wrap(err, "cannot read the claim")
	default:
		p.Action = ClaimUpdate
	}

	err = p.plan(ctx, cfg, scheme, ov, claim, live)
	var refused *Refusal
	if stderrors.As(err, &refused) {
		p.Refused = refused.Message
		return p, nil
	}
	return p, err
}

func (p *Plan) plan(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, ov *overlay, claim, live *unstructured.Unstructured) error {
	xr, err := admitted(ctx, ov.Client, claim, live)
	if err != nil {
		return err
	}
	cmp, err := newComposer(ctx, ov, xr, live)
	if err != nil {
		return err
	}
	cluster, err := cmp.compose(ctx)
	if err != nil {
		return err
	}
	topo, err := newTopology(ctx, cfg, scheme, ov)
	if err != nil {
		return err
	}
	classKind := schema.GroupKind{Group: clusterv1.GroupVersion.Group, Kind: "ClusterClass"}
	classes := ov.specChangedOf(classKind)
	if err := topo.reconcileClasses(ctx, classes); err != nil {
		return err
	}
	// The function holds a new claim's Cluster until its class is reconciled (ADR 0007).
	if cluster == nil && len(classes) > 0 {
		if cluster, err = cmp.compose(ctx); err != nil {
			return err
		}
	}
	if cluster != nil {
		if err := cmp.applyCluster(ctx, cluster, len(classes) > 0, topo.webhook); err != nil {
			return err
		}
	}
	if len(cmp.pending) > 0 {
		if err := cmp.retry(ctx); err != nil {
			return err
		}
		if err := topo.reconcileClasses(ctx, ov.specChangedOf(classKind)); err != nil {
			return err
		}
	}
	composedView := ov.snapshot()
	if cluster != nil {
		if p.Machines, err = topo.machines(ctx, client.ObjectKeyFromObject(cluster)); err != nil {
			return err
		}
	}
	p.objects(ov.changes(composedView))
	if p.Action == ClaimUpdate && len(p.Composed)+len(p.Topology) == 0 {
		p.Action = ClaimUnchanged
	}
	return nil
}

// objects lists what the overlay changed, composed objects apart from Cluster API's.
func (p *Plan) objects(changes []change) {
	for _, c := range changes {
		u := c.after
		if u == nil {
			u = c.before
		}
		o := Object{Kind: u.GetKind(), Name: u.GetName()}
		switch {
		case c.before == nil:
			o.Action = "create"
		case c.after == nil:
			o.Action = "delete"
		default:
			o.Action = "update"
			if o.Fields = fieldDiffs(c.before.Object, c.after.Object); len(o.Fields) == 0 {
				continue
			}
		}
		if c.composed {
			p.Composed = append(p.Composed, o)
		} else {
			p.Topology = append(p.Topology, o)
		}
	}
}

// named checks that the file names an object: its kind and its name, which the plan looks up.
func named(claim *unstructured.Unstructured) error {
	var missing []string
	for field, v := range map[string]string{"apiVersion": claim.GetAPIVersion(), "kind": claim.GetKind(), "metadata.name": claim.GetName()} {
		if v == "" {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return errors.Errorf("the claim to plan has no %s", strings.Join(missing, ", "))
	}
	return nil
}

// admitted is the claim as the API server would store it: the file's spec (Crossplane's own
// spec.crossplane kept unless the file sets it) on the plane's claim, defaulted and validated
// by a dry-run write. The whole spec is the file's, as kubectl apply of the same file makes it.
func admitted(ctx context.Context, c client.Client, claim, live *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	xr := claim.DeepCopy()
	write := func() error { return c.Create(ctx, xr, client.DryRunAll) }
	if live != nil {
		xr = live.DeepCopy()
		spec, _ := claim.Object["spec"].(map[string]any)
		spec = maps.Clone(spec)
		if _, ok := spec["crossplane"]; !ok {
			if xp, ok, _ := unstructured.NestedMap(live.Object, "spec", "crossplane"); ok {
				spec["crossplane"] = xp
			}
		}
		xr.Object["spec"] = spec
		if l := claim.GetLabels(); l != nil {
			xr.SetLabels(l)
		}
		if a := claim.GetAnnotations(); a != nil {
			xr.SetAnnotations(a)
		}
		// Crossplane writes the claim too: a conflict is retried on its latest version.
		write = func() error {
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				latest := live.DeepCopy()
				if err := c.Get(ctx, client.ObjectKeyFromObject(live), latest); err != nil {
					return err
				}
				xr.SetResourceVersion(latest.GetResourceVersion())
				return c.Update(ctx, xr, client.DryRunAll)
			})
		}
	}
	if err := write(); err != nil {
		return nil, &Refusal{Message: err.Error()}
	}
	return xr, nil
}
