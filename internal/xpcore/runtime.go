/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package xpcore

import (
	"context"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
)

const (
	errListRevisions = "cannot list the revisions of %s %q"
	errMarkRevision  = "cannot record the runtime of %s %q"
)

// Runtime is a package's runtime run outside the cluster, where core runs with
// --package-runtime=<Kind>=External: core installs the package (its CRDs, its revision) and leaves
// running it to someone else. Crossplane's package manager and Deployment runtime do three
// things an external runtime must do itself, or the package never turns Healthy and core never
// calls the function: name and fill the revision's TLS server Secret, whose certificate core
// injects as the CA bundle of the webhooks a package ships (core establishes nothing of a
// package until that Secret is observed); record a function's endpoint; and report the
// runtime's health.
type Runtime struct {
	// Package is the name of the Provider or Function object.
	Package string

	// Endpoint is where core dials a function, host:port; empty for a provider.
	Endpoint string

	// CertsDir holds the server certificate the runtime serves with (WriteServerCerts), which
	// becomes the revision's TLS server Secret.
	CertsDir string
}

// Function returns the external runtime of a function served at endpoint with the certificate
// in certsDir.
func Function(pkg, endpoint, certsDir string) Runtime {
	return Runtime{Package: pkg, Endpoint: endpoint, CertsDir: certsDir}
}

// Provider returns the external runtime of a provider with the certificate in certsDir.
func Provider(pkg, certsDir string) Runtime { return Runtime{Package: pkg, CertsDir: certsDir} }

func (r Runtime) kind() string {
	if r.Endpoint != "" {
		return pkgv1.FunctionKind
	}
	return pkgv1.ProviderKind
}

// ActiveRevision returns the package's active revision, nil while there is none.
func (r Runtime) ActiveRevision(ctx context.Context, kube client.Client) (pkgv1.PackageRevisionWithRuntime, error) {
	revs, err := r.revisions(ctx, kube)
	if err != nil {
		return nil, err
	}
	for _, rev := range revs {
		if rev.GetDesiredState() == pkgv1.PackageRevisionActive {
			return rev, nil
		}
	}
	return nil, nil
}

// Record marks every active revision of the package as run by this runtime: its TLS server
// Secret named and filled and, once the runtime is running, healthy and for a function served
// at its endpoint. It returns how many it changed. Core establishes a revision's objects once
// its Secret is observed, before the runtime can start (a provider needs its CRDs), and the
// package manager makes a new revision on every upgrade, so a runtime calls Record from before
// it starts for as long as it runs.
func (r Runtime) Record(ctx context.Context, kube client.Client, running bool) (int, error) {
	revs, err := r.revisions(ctx, kube)
	if err != nil {
		return 0, err
	}
	// The name Crossplane's package manager gives it when it manages the runtime.
	secret := pkgv1.GetSecretNameWithSuffix(r.Package, pkgv1.TLSServerSecretNameSuffix)
	changed := 0
	for _, rev := range revs {
		if rev.GetDesiredState() != pkgv1.PackageRevisionActive || r.recorded(rev, *secret, running) {
			continue
		}
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := kube.Get(ctx, client.ObjectKeyFromObject(rev), rev); err != nil {
				return err
			}
			if n := rev.GetTLSServerSecretName(); n != nil && *n == *secret {
				return nil
			}
			rev.SetTLSServerSecretName(secret)
			return kube.Update(ctx, rev)
		})
		if err != nil {
			return changed, errors.Wrapf(err, errMarkRevision, r.kind(), rev.GetName())
		}
		if err := r.writeSecret(ctx, kube, rev, *secret); err != nil {
			return changed, errors.Wrapf(err, errMarkRevision, r.kind(), rev.GetName())
		}
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := kube.Get(ctx, client.ObjectKeyFromObject(rev), rev); err != nil {
				return err
			}
			rev.SetObservedTLSServerSecretName(secret)
			if !running {
				return kube.Status().Update(ctx, rev)
			}
			rev.SetConditions(pkgv1.RuntimeHealthy())
			if fr, ok := rev.(*pkgv1.FunctionRevision); ok {
				fr.Status.Endpoint = r.Endpoint
			}
			// NOTE: an update, not a patch: it fails on a conflict with the revision
			// reconciler's own status writes instead of overwriting its conditions.
			return kube.Status().Update(ctx, rev)
		})
		if err != nil {
			return changed, errors.Wrapf(err, errMarkRevision, r.kind(), rev.GetName())
		}
		changed++
	}
	return changed, nil
}

func (r Runtime) recorded(rev pkgv1.PackageRevisionWithRuntime, secret string, running bool) bool {
	if o := rev.GetObservedTLSServerSecretName(); o == nil || *o != secret {
		return false
	}
	if !running {
		return true
	}
	if fr, ok := rev.(*pkgv1.FunctionRevision); ok && fr.Status.Endpoint != r.Endpoint {
		return false
	}
	return rev.GetCondition(pkgv1.TypeRuntimeHealthy).Equal(pkgv1.RuntimeHealthy())
}

// writeSecret fills the revision's TLS server Secret from CertsDir, owned by the revision as
// Crossplane's runtime owns it, so it goes when the revision does.
func (r Runtime) writeSecret(ctx context.Context, kube client.Client, rev pkgv1.PackageRevisionWithRuntime, name string) error {
	data := map[string][]byte{}
	for _, f := range []string{caCertFile, certFile, keyFile} {
		b, err := os.ReadFile(filepath.Join(r.CertsDir, f))
		if err != nil {
			return err
		}
		data[f] = b
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: name}}
	_, err := controllerutil.CreateOrPatch(ctx, kube, s, func() error {
		s.Data = data
		return controllerutil.SetControllerReference(rev, s, kube.Scheme())
	})
	return err
}

func (r Runtime) revisions(ctx context.Context, kube client.Client) ([]pkgv1.PackageRevisionWithRuntime, error) {
	var list pkgv1.PackageRevisionList = &pkgv1.ProviderRevisionList{}
	if r.Endpoint != "" {
		list = &pkgv1.FunctionRevisionList{}
	}
	if err := kube.List(ctx, list, client.MatchingLabels{pkgv1.LabelParentPackage: r.Package}); err != nil {
		return nil, errors.Wrapf(err, errListRevisions, r.kind(), r.Package)
	}
	revs := make([]pkgv1.PackageRevisionWithRuntime, 0, len(list.GetRevisions()))
	for _, rev := range list.GetRevisions() {
		if rr, ok := rev.(pkgv1.PackageRevisionWithRuntime); ok {
			revs = append(revs, rr)
		}
	}
	return revs, nil
}
