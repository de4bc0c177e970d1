/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	"github.com/capstan-dev/capstan/functions/clusterclaim/input/v1beta1"
)

// Defaults of choices neither the claim nor the input makes.
const (
	defaultControlPlaneReplicas = 1
	defaultPodCIDR              = "192.168.0.0/16"
	defaultServiceCIDR          = "10.128.0.0/12"
	defaultUnhealthyNodeTimeout = 300
)

// A plan is a claim with every default resolved against the function input: what to compose.
type plan struct {
	name      string
	namespace string
	version   string
	paused    bool

	controlPlaneReplicas int32
	controlPlaneSize     v1beta1.Size
	pools                []pool

	podCIDR       string
	serviceCIDR   string
	serviceDomain string
	// healthChecks is nil to leave machine health checks to a shared class.
	healthChecks *bool

	classRef          *v1alpha1.ClassReference
	providerConfigRef *v1alpha1.ProviderConfigReference
	input             *v1beta1.Input
	// kubeVIP: the control plane announces its own endpoint, a virtual IP of the provider
	// config's cloud, with kube-vip.
	kubeVIP bool
}

// A pool is a resolved worker pool.
type pool struct {
	name          string
	class         string
	size          v1beta1.Size
	replicas      *int32
	autoscaling   *v1alpha1.Autoscaling
	labels        map[string]string
	taints        []v1alpha1.Taint
	failureDomain string
}

// A fieldError is a problem with one field of the claim or of the input.
type fieldError struct {
	path *field.Path
	msg  string
}

func (e fieldError) Error() string { return e.path.String() + ": " + e.msg }

func fieldErr(p *field.Path, format string, a ...any) error {
	return fieldError{path: p, msg: fmt.Sprintf(format, a...)}
}

// newPlan resolves the claim's defaults against the input. It returns every problem it finds,
// each naming its field, and no plan if there is any. It repeats the XRD's CEL rules because
// render and older XRDs do not run them. current is the version the claim's Cluster runs, ""
// before there is one.
func newPlan(c *v1alpha1.ClusterClaim, in *v1beta1.Input, current string) (*plan, []error) {
	if errs := validateInput(in); len(errs) > 0 {
		return nil, errs
	}
	sizes := map[string]v1beta1.Size{}
	names := make([]string, 0, len(in.Sizes))
	for _, s := range in.Sizes {
		sizes[s.Name] = s
		names = append(names, s.Name)
	}
	allowed := strings.Join(names, ", ")
	defaultSize := in.DefaultSize
	if defaultSize == "" {
		defaultSize = in.Sizes[0].Name
	}
	size := func(p *field.Path, name string) (v1beta1.Size, error) {
		if name == "" {
			name = defaultSize
		}
		s, ok := sizes[name]
		if !ok {
			return s, fieldErr(p, "unknown size %q (allowed: %s)", name, allowed)
		}
		return s, nil
	}

	var errs []error
	spec := field.NewPath("spec")
	p := &plan{
		name:                 c.GetName(),
		namespace:            c.GetNamespace(),
		version:              c.Spec.Version,
		paused:               c.Spec.Paused,
		controlPlaneReplicas: ptr.Deref(c.Spec.ControlPlane.Replicas, defaultControlPlaneReplicas),
		podCIDR:              firstOf(c.Spec.Network.Pods, in.Network.Pods, defaultPodCIDR),
		serviceCIDR:          firstOf(c.Spec.Network.Services, in.Network.Services, defaultServiceCIDR),
		serviceDomain:        in.Network.ServiceDomain,
		healthChecks:         ptr.To(ptr.Deref(in.HealthChecks.Enabled, true)),
		classRef:             c.Spec.ClassRef,
		providerConfigRef:    c.Spec.ProviderConfigRef,
		input:                in,
	}
	switch {
	case c.Spec.HealthChecks != nil:
		p.healthChecks = ptr.To(c.Spec.HealthChecks.Enabled)
	case c.Spec.ClassRef != nil:
		// Cluster API refuses enabled: true when the class defines no checks; a shared class's
		// own choice stands unless the claim makes one.
		p.healthChecks = nil
	}

	// The claim's name is the Cluster's, which Cluster API writes into label values.
	for _, msg := range validation.IsDNS1123Label(p.name) {
		errs = append(errs, fieldErr(field.NewPath("metadata", "name"), "%q: %s", p.name, msg))
	}
	if !slices.Contains(in.Versions, c.Spec.Version) {
		errs = append(errs, fieldErr(spec.Child("version"), "version %q is not allowed (allowed: %s)", c.Spec.Version, strings.Join(in.Versions, ", ")))
	} else if c.Spec.ClassRef == nil {
		// A shared class may allow chained upgrades; validateClass judges those.
		if err := validateUpgrade(spec.Child("version"), current, c.Spec.Version, false); err != nil {
			errs = append(errs, err)
		}
	}
	if r := c.Spec.ClassRef; r != nil && r.Namespace != "" && r.Namespace != p.namespace && !slices.Contains(in.SharedClassNamespaces, r.Namespace) {
		errs = append(errs, fieldErr(spec.Child("classRef", "namespace"), "%q is neither the claim's namespace nor one the platform shares classes from (%s)",
			r.Namespace, strings.Join(in.SharedClassNamespaces, ", ")))
	}
	if r := p.controlPlaneReplicas; r != 1 && r != 3 && r != 5 {
		errs = append(errs, fieldErr(spec.Child("controlPlane", "replicas"), "must be 1, 3 or 5, not %d", r))
	}
	var err error
	if p.controlPlaneSize, err = size(spec.Child("controlPlane", "size"), c.Spec.ControlPlane.Size); err != nil {
		errs = append(errs, err)
	}

	seen := map[string]bool{}
	// Every pool and the control plane may surge by one machine during a rollout.
	maxNodes := int(p.controlPlaneReplicas) + 1
	for i, w := range c.Spec.Workers {
		wp := spec.Child("workers").Index(i)
		if seen[w.Name] {
			errs = append(errs, fieldErr(wp.Child("name"), "duplicate pool name %q", w.Name))
		}
		seen[w.Name] = true
		pl, perrs := newPool(wp, w, c.Spec.ClassRef != nil)
		errs = append(errs, perrs...)
		if pl.size, err = size(wp.Child("size"), w.Size); err != nil {
			errs = append(errs, err)
		}
		if pl.class == "" {
			pl.class = pl.size.Name
		}
		p.pools = append(p.pools, pl)
		maxNodes += int(ptr.Deref(w.Replicas, 0)) + 1
		if a := w.Autoscaling; a != nil {
			maxNodes += int(a.Max)
		}
	}

	net := spec.Child("network")
	errs = append(errs, validateNetwork(
		cidr{path: net.Child("pods"), value: p.podCIDR, fromClaim: c.Spec.Network.Pods != ""},
		cidr{path: net.Child("services"), value: p.serviceCIDR, fromClaim: c.Spec.Network.Services != ""},
		maxNodes)...)

	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

func newPool(wp *field.Path, w v1alpha1.WorkerPool, shared bool) (pool, []error) {
	var errs []error
	if w.Name == "" {
		errs = append(errs, fieldErr(wp.Child("name"), "must not be empty"))
	}
	switch {
	case (w.Replicas == nil) == (w.Autoscaling == nil):
		errs = append(errs, fieldErr(wp, "set exactly one of replicas or autoscaling"))
	case w.Replicas != nil && *w.Replicas < 0:
		errs = append(errs, fieldErr(wp.Child("replicas"), "must not be negative"))
	case w.Autoscaling != nil && (w.Autoscaling.Min < 0 || w.Autoscaling.Min > w.Autoscaling.Max):
		errs = append(errs, fieldErr(wp.Child("autoscaling"), "need 0 <= min <= max, got min %d, max %d", w.Autoscaling.Min, w.Autoscaling.Max))
	}
	if shared && len(w.Taints) > 0 {
		errs = append(errs, fieldErr(wp.Child("taints"), "taints need the composed ClusterClass; a shared class (spec.classRef) decides its own"))
	}
	if !shared && w.Class != "" {
		errs = append(errs, fieldErr(wp.Child("class"), "only valid with spec.classRef"))
	}
	errs = append(errs, validateLabels(wp.Child("labels"), w.Labels)...)
	errs = append(errs, validateTaints(wp.Child("taints"), w.Taints)...)
	pl := pool{
		name:          w.Name,
		class:         w.Name,
		replicas:      w.Replicas,
		autoscaling:   w.Autoscaling,
		labels:        maps.Clone(w.Labels),
		taints:        w.Taints,
		failureDomain: w.FailureDomain,
	}
	if shared {
		// A shared class's worker class is named by the pool, or else by its size.
		pl.class = w.Class
	}
	return pl, errs
}

// validateInput checks what the input CRD cannot: a platform team's mistake must say so rather
// than compose something half-configured.
func validateInput(in *v1beta1.Input) []error {
	root := field.NewPath("input")
	var errs []error
	if len(in.Sizes) == 0 {
		errs = append(errs, fieldErr(root.Child("sizes"), "must list at least one size"))
	}
	names := map[string]bool{}
	for i, s := range in.Sizes {
		if s.Name == "" || names[s.Name] {
			errs = append(errs, fieldErr(root.Child("sizes").Index(i).Child("name"), "must be unique and not empty"))
		}
		names[s.Name] = true
		if s.CPU < 1 || s.MemoryMiB < 128 || s.DiskGiB < 1 {
			errs = append(errs, fieldErr(root.Child("sizes").Index(i), "needs cpu >= 1, memoryMiB >= 128 and diskGiB >= 1"))
		}
	}
	if in.DefaultSize != "" && !names[in.DefaultSize] {
		errs = append(errs, fieldErr(root.Child("defaultSize"), "%q is not one of the sizes", in.DefaultSize))
	}
	if len(in.Versions) == 0 {
		errs = append(errs, fieldErr(root.Child("versions"), "must list at least one version"))
	}
	if in.MachineImage == "" {
		errs = append(errs, fieldErr(root.Child("machineImage"), "must not be empty"))
	}
	return errs
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
