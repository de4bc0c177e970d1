/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"

	"github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	apisv1alpha1 "github.com/capstan-dev/capstan/apis/v1alpha1"
)

// Required resources: the objects a claim names, which the function asks Crossplane for so it
// can refuse a claim that names something missing. crossplane render supplies them with
// --required-resources.
const (
	reqProviderConfig = "provider-config"
	reqClusterClass   = "cluster-class"
)

// defaultProviderConfig is what a managed resource uses when it names no provider config.
var defaultProviderConfig = v1alpha1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}

const errFmtRequired = "cannot read required resource %s"

// references are the objects the claim names, as Crossplane found them: nil when missing.
type references struct {
	providerConfig *apisv1alpha1.ProviderConfigSpec
	clusterClass   *clusterv1.ClusterClass
}

// requirements returns a selector for every object the claim names.
func requirements(c *v1alpha1.ClusterClaim) map[string]*fnv1.ResourceSelector {
	pc := ptr.Deref(c.Spec.ProviderConfigRef, defaultProviderConfig)
	pcs := &fnv1.ResourceSelector{
		ApiVersion: apisv1alpha1.SchemeGroupVersion.String(),
		Kind:       pc.Kind,
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: pc.Name},
	}
	if pc.Kind == apisv1alpha1.ProviderConfigKind {
		pcs.Namespace = ptr.To(c.GetNamespace())
	}
	out := map[string]*fnv1.ResourceSelector{reqProviderConfig: pcs}
	if r := c.Spec.ClassRef; r != nil {
		out[reqClusterClass] = &fnv1.ResourceSelector{
			ApiVersion: clusterv1.GroupVersion.String(),
			Kind:       "ClusterClass",
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: r.Name},
			Namespace:  ptr.To(firstOf(r.Namespace, c.GetNamespace())),
		}
	}
	return out
}

// resolve returns the required objects of the request, or false when Crossplane has not
// fetched every one yet.
func resolve(req *fnv1.RunFunctionRequest, want map[string]*fnv1.ResourceSelector) (references, bool, error) {
	var refs references
	for name := range want {
		found, ok, err := request.GetRequiredResource(req, name)
		if err != nil {
			return refs, false, errors.Wrapf(err, errFmtRequired, name)
		}
		if !ok {
			return refs, false, nil
		}
		if len(found) == 0 {
			continue
		}
		u := found[0].Resource.UnstructuredContent()
		switch name {
		case reqProviderConfig:
			pc := &apisv1alpha1.ProviderConfig{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, pc); err != nil {
				return refs, false, errors.Wrapf(err, errFmtRequired, name)
			}
			refs.providerConfig = &pc.Spec
		case reqClusterClass:
			refs.clusterClass = &clusterv1.ClusterClass{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, refs.clusterClass); err != nil {
				return refs, false, errors.Wrapf(err, errFmtRequired, name)
			}
		}
	}
	return refs, true, nil
}

// validateReferences checks the claim against the objects it names: they exist, its failure
// domains are the provider config's, and its version, pools and variables suit the shared
// class. current is the version the claim's Cluster runs, "" before there is one.
func validateReferences(p *plan, refs references, current string) []error {
	spec := field.NewPath("spec")
	var errs []error

	pc := ptr.Deref(p.providerConfigRef, defaultProviderConfig)
	if refs.providerConfig == nil {
		msg := "%s %q does not exist"
		if p.providerConfigRef == nil {
			msg += " (the default when spec.providerConfigRef is unset)"
		}
		errs = append(errs, fieldErr(spec.Child("providerConfigRef"), msg, pc.Kind, pc.Name))
	} else {
		if v := refs.providerConfig.Driver.VSphere; v != nil && !hasImage(v, p.input.MachineImage) {
			errs = append(errs, fieldErr(spec.Child("providerConfigRef"), "%s %q has no template for the machine image %q (its spec.driver.vsphere.images has: %s)",
				pc.Kind, pc.Name, p.input.MachineImage, strings.Join(imageNames(v), ", ")))
		}
		domains := refs.providerConfig.Driver.FailureDomains()
		for i, pl := range p.pools {
			if pl.failureDomain != "" && !slices.Contains(domains, pl.failureDomain) {
				errs = append(errs, fieldErr(spec.Child("workers").Index(i).Child("failureDomain"),
					"%q is not a failure domain of %s %q (it has: %s)", pl.failureDomain, pc.Kind, pc.Name, strings.Join(domains, ", ")))
			}
		}
	}

	if p.classRef != nil {
		errs = append(errs, validateClass(spec, p, refs.clusterClass, current)...)
	}
	return errs
}

// validateClass checks the claim's pools and variables against its shared ClusterClass.
func validateClass(spec *field.Path, p *plan, class *clusterv1.ClusterClass, current string) []error {
	r := p.classRef
	ns := firstOf(r.Namespace, p.namespace)
	if class == nil {
		return []error{fieldErr(spec.Child("classRef"), "ClusterClass %s/%s does not exist", ns, r.Name)}
	}
	var errs []error
	versions := class.Spec.KubernetesVersions
	if len(versions) > 0 && !slices.Contains(versions, p.version) {
		errs = append(errs, fieldErr(spec.Child("version"), "ClusterClass %s/%s does not offer %s (it has: %s)", ns, r.Name, p.version, strings.Join(versions, ", ")))
	} else if err := validateUpgrade(spec.Child("version"), current, p.version, len(versions) > 0); err != nil {
		errs = append(errs, err)
	}
	classes := make([]string, 0, len(class.Spec.Workers.MachineDeployments))
	for _, md := range class.Spec.Workers.MachineDeployments {
		classes = append(classes, md.Class)
	}
	for i, pl := range p.pools {
		if !slices.Contains(classes, pl.class) {
			errs = append(errs, fieldErr(spec.Child("workers").Index(i).Child("class"),
				"%q is not a worker class of ClusterClass %s/%s (it has: %s)", pl.class, ns, r.Name, strings.Join(classes, ", ")))
		}
	}

	given := map[string]bool{}
	for i, v := range r.Variables {
		given[v.Name] = true
		if !slices.ContainsFunc(class.Spec.Variables, func(d clusterv1.ClusterClassVariable) bool { return d.Name == v.Name }) {
			errs = append(errs, fieldErr(spec.Child("classRef", "variables").Index(i).Child("name"),
				"ClusterClass %s/%s has no variable %q", ns, r.Name, v.Name))
		}
	}
	for _, d := range class.Spec.Variables {
		if ptr.Deref(d.Required, false) && !given[d.Name] {
			errs = append(errs, fieldErr(spec.Child("classRef", "variables"), "ClusterClass %s/%s requires variable %q", ns, r.Name, d.Name))
		}
	}
	return errs
}

// hasImage reports whether the vSphere driver has a template for image.
func hasImage(v *apisv1alpha1.VSphereDriver, image string) bool {
	return slices.Contains(imageNames(v), image)
}

func imageNames(v *apisv1alpha1.VSphereDriver) []string {
	out := make([]string, 0, len(v.Images))
	for _, i := range v.Images {
		out = append(out, i.Name)
	}
	return out
}
