//go:build e2e

/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/capstan-dev/capstan/cluster/install"
	"github.com/capstan-dev/capstan/internal/stack"
)

// TestInstalledByThePackageManager checks that Capstan runs as a platform team installs it: one
// Configuration, whose dependencies Crossplane resolved, every package pulled from the stack's
// registry and Healthy, and the ClusterClaim API made by the package manager, not applied by hand.
func TestInstalledByThePackageManager(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	for _, p := range []struct {
		name string
		pkg  pkgv1.Package
		revs pkgv1.PackageRevisionList
	}{
		{install.ConfigurationName, &pkgv1.Configuration{}, &pkgv1.ConfigurationRevisionList{}},
		{stack.ProviderName, &pkgv1.Provider{}, &pkgv1.ProviderRevisionList{}},
		{stack.FunctionName, &pkgv1.Function{}, &pkgv1.FunctionRevisionList{}},
	} {
		if err := env.kube.Get(ctx, client.ObjectKey{Name: p.name}, p.pkg); err != nil {
			t.Fatalf("package %s: %v", p.name, err)
		}
		for _, ct := range []xpv2.ConditionType{pkgv1.TypeInstalled, pkgv1.TypeHealthy} {
			if c := p.pkg.GetCondition(ct); c.Status != corev1.ConditionTrue {
				t.Errorf("package %s: %s is %s (%s): want True", p.name, ct, c.Status, c.Message)
			}
		}
		if err := env.kube.List(ctx, p.revs, client.MatchingLabels{pkgv1.LabelParentPackage: p.name}); err != nil {
			t.Fatalf("revisions of %s: %v", p.name, err)
		}
		for _, r := range p.revs.GetRevisions() {
			// The ImageConfig the stack applies rewrites xpkg.capstan.dev/capstan to its registry.
			if img := r.GetResolvedSource(); !strings.HasPrefix(img, env.stack.Registry+"/capstan/") {
				t.Errorf("revision %s: resolved image %q, want one pulled from the stack's registry %s", r.GetName(), img, env.stack.Registry)
			}
		}
	}

	// The ClusterClaim XRD and its Composition belong to the configuration's revision.
	for _, o := range []struct{ apiVersion, kind, name string }{
		{"apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "clusterclaims.platform.capstan.dev"},
		{"apiextensions.crossplane.io/v1", "Composition", "clusterclaims.platform.capstan.dev"},
	} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(o.apiVersion)
		u.SetKind(o.kind)
		if err := env.kube.Get(ctx, client.ObjectKey{Name: o.name}, u); err != nil {
			t.Fatalf("%s %s: %v", o.kind, o.name, err)
		}
		owned := false
		for _, ref := range u.GetOwnerReferences() {
			owned = owned || (ref.Kind == pkgv1.ConfigurationRevisionKind && ref.Controller != nil && *ref.Controller)
		}
		if !owned {
			t.Errorf("%s %s: owners %v, want a controlling ConfigurationRevision", o.kind, o.name, u.GetOwnerReferences())
		}
	}
}
