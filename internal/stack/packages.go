/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
	pkgv1beta1 "github.com/crossplane/crossplane/apis/v2/pkg/v1beta1"

	"github.com/capstan-dev/capstan/cluster/install"
	"github.com/capstan-dev/capstan/internal/registry"
)

// Source is the registry path Capstan's packages are published under: the configuration names
// its dependencies there.
const Source = "xpkg.capstan.dev/" + repository

// repository is Source's path within its registry, and the stack's registry's.
const repository = "capstan"

// Capstan's packages, as `make build` names their files in the packages directory:
// <name>-<arch>.xpkg for those with a runtime, <name>.xpkg for the configuration.
const (
	ProviderPackage      = "provider-capstan"
	FunctionPackage      = "function-clusterclaim"
	ConfigurationPackage = "configuration-clusterclaim"

	// DefaultVersion is the tag the stack publishes the packages as.
	DefaultVersion = "v0.1.0"
)

// The names Crossplane gives the Provider and the Function it installs as the configuration's
// dependencies: their repository paths as DNS labels. The Composition's functionRef names the
// function so.
const (
	ProviderName = "capstan-" + ProviderPackage
	FunctionName = "capstan-" + FunctionPackage
)

// claimCRD is the CRD core makes of the ClusterClaim XRD.
const claimCRD = "clusterclaims.platform.capstan.dev"

// registryRewrite is the ImageConfig that sends pulls of Source to the stack's registry.
const registryRewrite = "capstan-local-registry"

// lockName is the package manager's one Lock, where its resolver says whether every
// dependency resolved.
const lockName = "lock"

// resolveGrace is how long dependency resolution may fail before the stack gives up on it:
// failures that heal (a dependency not yet in the Lock) heal in a second, while a version nobody
// published fails for good.
const resolveGrace = 5 * time.Second

// installTimeout bounds how long the package manager may take to install the configuration
// and its dependencies; it takes a few seconds.
const installTimeout = 2 * time.Minute

const (
	errNoPackage    = "no %s package in %s (make build writes them)"
	errPublish      = "cannot publish %s to the local registry"
	errApplyInstall = "cannot apply %s %q"
	errInstalling   = "the configuration did not install: %s"
	errPackageState = "cannot read the state of the packages"
)

// packageFiles returns the xpkg files of a package in dir: one per platform, or the one file.
func packageFiles(dir, pkg string) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(dir, pkg+"-*.xpkg"))
	if one := filepath.Join(dir, pkg+".xpkg"); len(files) == 0 {
		if _, err := os.Stat(one); err == nil {
			files = []string{one}
		}
	}
	if len(files) == 0 {
		return nil, errors.Errorf(errNoPackage, pkg, dir)
	}
	return files, nil
}

// publish pushes Capstan's three packages from dir to the registry as version.
func publish(ctx context.Context, r *registry.Registry, dir, version string) error {
	for _, pkg := range []string{ProviderPackage, FunctionPackage, ConfigurationPackage} {
		files, err := packageFiles(dir, pkg)
		if err != nil {
			return err
		}
		if err := push(ctx, r, pkg, version, files...); err != nil {
			return err
		}
	}
	return nil
}

// Publish serves another version of one of Capstan's packages, as a release pushes it to the
// registry: what a platform team then upgrades to by changing its Configuration's package.
func (s *Stack) Publish(ctx context.Context, pkg, version string, files ...string) error {
	return push(ctx, s.registry, pkg, version, files...)
}

func push(ctx context.Context, r *registry.Registry, pkg, version string, files ...string) error {
	repo := repository + "/" + pkg
	_, err := r.Push(ctx, repo, version, files...)
	return errors.Wrapf(err, errPublish, pkg)
}

// installPackages applies what a platform team applies to install Capstan, the Configuration
// at version, and an ImageConfig that rewrites Source to the local registry at host.
func installPackages(ctx context.Context, c client.Client, host, version string) error {
	rewrite := &pkgv1beta1.ImageConfig{
		TypeMeta:   metav1.TypeMeta{APIVersion: pkgv1beta1.SchemeGroupVersion.String(), Kind: pkgv1beta1.ImageConfigKind},
		ObjectMeta: metav1.ObjectMeta{Name: registryRewrite},
		Spec: pkgv1beta1.ImageConfigSpec{
			MatchImages:  []pkgv1beta1.ImageMatch{{Type: pkgv1beta1.Prefix, Prefix: Source}},
			RewriteImage: &pkgv1beta1.ImageRewrite{Prefix: host + "/" + repository},
		},
	}
	if err := applyTyped(ctx, c, rewrite, rewrite.GroupVersionKind()); err != nil {
		return err
	}
	objs, err := install.Objects()
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetKind() == pkgv1.ConfigurationKind {
			if err := setVersion(o.Object, version); err != nil {
				return err
			}
		}
		if err := apply(ctx, c, o); err != nil {
			return errors.Wrapf(err, errApplyInstall, o.GetKind(), o.GetName())
		}
	}
	return nil
}

// setVersion sets the tag of a Configuration's spec.package.
func setVersion(obj map[string]any, version string) error {
	spec, _ := obj["spec"].(map[string]any)
	pkg, _ := spec["package"].(string)
	repo, _, ok := strings.Cut(pkg, ":")
	if !ok {
		return errors.Errorf(errApplyInstall, pkgv1.ConfigurationKind, pkg)
	}
	spec["package"] = repo + ":" + version
	return nil
}

// waitInstalled waits until every package is Installed with its objects established (its
// active revision RevisionHealthy), those whose runtime runs Healthy too, and the ClusterClaim
// XRD's CRD is served. A package that fails to resolve or unpack fails the wait at once with
// the condition that says why, rather than at the timeout.
func waitInstalled(ctx context.Context, c client.Client, running map[string]bool) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, installTimeout, true, func(ctx context.Context) (bool, error) {
		last = ""
		for _, k := range []struct {
			name string
			pkg  pkgv1.Package
			revs pkgv1.PackageRevisionList
		}{
			{install.ConfigurationName, &pkgv1.Configuration{}, &pkgv1.ConfigurationRevisionList{}},
			{ProviderName, &pkgv1.Provider{}, &pkgv1.ProviderRevisionList{}},
			{FunctionName, &pkgv1.Function{}, &pkgv1.FunctionRevisionList{}},
		} {
			what := kindOf(k.pkg) + " " + k.name
			if err := c.Get(ctx, client.ObjectKey{Name: k.name}, k.pkg); err != nil {
				if client.IgnoreNotFound(err) != nil {
					return false, errors.Wrap(err, errPackageState)
				}
				last = what + ": not created yet"
				break
			}
			if msg := failed(k.pkg); msg != "" {
				return false, errors.Errorf(errInstalling, what+": "+msg)
			}
			if err := c.List(ctx, k.revs, client.MatchingLabels{pkgv1.LabelParentPackage: k.name}); err != nil {
				return false, errors.Wrap(err, errPackageState)
			}
			if msg := unmetRevision(k.revs); msg != "" {
				last = what + ": " + msg
				break
			}
			conds := []xpv2.ConditionType{pkgv1.TypeInstalled}
			if _, hasRuntime := k.pkg.(pkgv1.PackageWithRuntime); running[k.name] || !hasRuntime {
				conds = append(conds, pkgv1.TypeHealthy)
			}
			if msg := unmet(k.pkg, conds...); msg != "" {
				last = what + ": " + msg
				break
			}
		}
		lock := &pkgv1beta1.Lock{}
		if err := c.Get(ctx, client.ObjectKey{Name: lockName}, lock); client.IgnoreNotFound(err) != nil {
			return false, errors.Wrap(err, errPackageState)
		}
		if r := lock.GetCondition(pkgv1beta1.TypeResolved); r.Status == corev1.ConditionFalse && time.Since(r.LastTransitionTime.Time) > resolveGrace {
			return false, errors.Errorf(errInstalling, last+"; the package manager's Lock: "+r.Message)
		}
		return last == "", nil
	})
	if wait.Interrupted(err) && last != "" {
		return errors.Errorf(errInstalling, last)
	}
	if err != nil {
		return err
	}
	return waitEstablished(ctx, c, claimCRD)
}

// unmet says which of the conditions a package does not meet, "" when it meets them all.
func unmet(p pkgv1.Package, types ...xpv2.ConditionType) string {
	for _, t := range types {
		if c := p.GetCondition(t); c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("%s is %s: %s %s", t, c.Status, c.Reason, c.Message)
		}
	}
	return ""
}

// unmetRevision says why a package has no active revision with its objects established, ""
// once it has.
func unmetRevision(revs pkgv1.PackageRevisionList) string {
	for _, r := range revs.GetRevisions() {
		if r.GetDesiredState() != pkgv1.PackageRevisionActive {
			continue
		}
		if cond := r.GetCondition(pkgv1.TypeRevisionHealthy); cond.Status != corev1.ConditionTrue {
			return fmt.Sprintf("revision %s: %s is %s: %s", r.GetName(), pkgv1.TypeRevisionHealthy, cond.Status, cond.Message)
		}
		return ""
	}
	return "no active revision yet"
}

// failed returns why a package cannot install, "" while it may yet: a version that does not
// resolve, a package that cannot be pulled or parsed.
func failed(p pkgv1.Package) string {
	if c := p.GetCondition(pkgv1.TypeInstalled); c.Status == corev1.ConditionFalse && c.Reason == pkgv1.ReasonUnpacking && c.Message != "" {
		return c.Message
	}
	return ""
}

func kindOf(p pkgv1.Package) string {
	switch p.(type) {
	case *pkgv1.Configuration:
		return pkgv1.ConfigurationKind
	case *pkgv1.Provider:
		return pkgv1.ProviderKind
	default:
		return pkgv1.FunctionKind
	}
}
