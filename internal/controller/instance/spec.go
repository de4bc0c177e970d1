/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package instance

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	errNoShape         = "cannot size the instance: set spec.forProvider.size or spec.forProvider.resources"
	errFmtUnknownSize  = "cannot find spec.forProvider.size %q in the provider config's catalogue (spec.sizes has: %s)"
	errFmtGetSecret    = "cannot get Secret %q named by spec.forProvider.bootstrapDataSecretRef"
	errFmtNoSecretKey  = "cannot find key %q in Secret %q named by spec.forProvider.bootstrapDataSecretRef"
	errFmtUnknownState = "unknown instance state %q"

	// defaultBootstrapKey is the key Cluster API's bootstrap providers write user data to.
	defaultBootstrapKey = "value"
)

// externalID is the cloud ID of an Instance: namespace and name, joined by a dot, which a
// namespace name cannot contain, so no two Instances share an ID.
func externalID(cr *v1alpha1.Instance) string {
	return cr.GetNamespace() + "." + cr.GetName()
}

// shape is the machine shape of an instance.
type shape struct {
	CPU, MemoryMiB, DiskGiB int32
}

// resources resolves the machine shape p asks for, explicitly or by a size of the catalogue.
func resources(p v1alpha1.InstanceParameters, sizes []apisv1alpha1.InstanceSize) (shape, error) {
	if r := p.Resources; r != nil {
		return shape{CPU: r.CPU, MemoryMiB: r.MemoryMiB, DiskGiB: r.DiskGiB}, nil
	}
	if p.Size == nil {
		return shape{}, errors.New(errNoShape)
	}
	names := make([]string, 0, len(sizes))
	for _, s := range sizes {
		if s.Name == *p.Size {
			return shape{CPU: s.CPU, MemoryMiB: s.MemoryMiB, DiskGiB: s.DiskGiB}, nil
		}
		names = append(names, s.Name)
	}
	return shape{}, errors.Errorf(errFmtUnknownSize, *p.Size, strings.Join(names, ", "))
}

// spec is the cloud spec of the instance cr asks for, with its bootstrap data.
func (e *external) spec(ctx context.Context, cr *v1alpha1.Instance) (cloud.InstanceSpec, error) {
	p := cr.Spec.ForProvider
	s, err := resources(p, e.sizes)
	if err != nil {
		return cloud.InstanceSpec{}, err
	}
	data, err := e.userData(ctx, cr)
	if err != nil {
		return cloud.InstanceSpec{}, err
	}
	return cloud.InstanceSpec{
		CPU:           s.CPU,
		MemoryMiB:     s.MemoryMiB,
		DiskGiB:       s.DiskGiB,
		Image:         p.Image,
		FailureDomain: ptr.Deref(p.FailureDomain, ""),
		Network:       ptr.Deref(p.Network, ""),
		UserData:      data,
	}, nil
}

// userData reads the bootstrap data Secret key of cr; none when cr names no Secret.
func (e *external) userData(ctx context.Context, cr *v1alpha1.Instance) ([]byte, error) {
	ref := cr.Spec.ForProvider.BootstrapDataSecretRef
	if ref == nil {
		return nil, nil
	}
	key := ref.Key
	if key == "" {
		key = defaultBootstrapKey
	}
	s := &corev1.Secret{}
	if err := e.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, s); err != nil {
		return nil, errors.Wrapf(err, errFmtGetSecret, ref.Name)
	}
	data, ok := s.Data[key]
	if !ok {
		return nil, errors.Errorf(errFmtNoSecretKey, key, ref.Name)
	}
	return data, nil
}

// observation is status.atProvider for inst.
func observation(inst *cloud.Instance) v1alpha1.InstanceObservation {
	o := v1alpha1.InstanceObservation{
		ID:            inst.ID,
		ProviderID:    inst.ProviderID,
		State:         string(inst.State),
		Message:       inst.Message,
		FailureDomain: inst.FailureDomain,
		CPU:           inst.Spec.CPU,
		MemoryMiB:     inst.Spec.MemoryMiB,
		DiskGiB:       inst.Spec.DiskGiB,
	}
	if !inst.LaunchTime.IsZero() {
		o.LaunchTime = &metav1.Time{Time: inst.LaunchTime}
	}
	for _, a := range inst.Addresses {
		o.Addresses = append(o.Addresses, v1alpha1.InstanceAddress{Type: string(a.Type), Address: a.Address})
	}
	return o
}

// condition is the Ready condition for inst: available only once it runs.
func condition(inst *cloud.Instance) xpv2.Condition {
	switch inst.State {
	case cloud.InstanceStateRunning:
		return xpv2.Available()
	case cloud.InstanceStateProvisioning:
		return xpv2.Creating()
	case cloud.InstanceStateDeleting:
		return xpv2.Deleting()
	case cloud.InstanceStateFailed:
		return xpv2.Unavailable().WithMessage(inst.Message)
	default:
		return xpv2.Unavailable().WithMessage(fmt.Sprintf(errFmtUnknownState, inst.State))
	}
}

// lateInitialize records in p the failure domain the cloud chose. It reports whether p changed.
func lateInitialize(p *v1alpha1.InstanceParameters, inst *cloud.Instance) bool {
	li := resource.NewLateInitializer()
	if inst.FailureDomain != "" {
		p.FailureDomain = li.LateInitializeStringPtr(p.FailureDomain, ptr.To(inst.FailureDomain))
	}
	return li.IsChanged()
}

// diff says how inst differs from p (whose shape resolves to want), or "" when it does not.
// Unset optional fields take what the cloud chose.
func diff(p v1alpha1.InstanceParameters, want shape, inst *cloud.Instance) string {
	var d []string
	add := func(field string, want, got any) {
		if want != got {
			d = append(d, fmt.Sprintf("%s (want %#v, have %#v)", field, want, got))
		}
	}
	add("cpu", want.CPU, inst.Spec.CPU)
	add("memoryMiB", want.MemoryMiB, inst.Spec.MemoryMiB)
	add("diskGiB", want.DiskGiB, inst.Spec.DiskGiB)
	add("image", p.Image, inst.Spec.Image)
	add("failureDomain", ptr.Deref(p.FailureDomain, inst.FailureDomain), inst.FailureDomain)
	add("network", ptr.Deref(p.Network, inst.Spec.Network), inst.Spec.Network)
	return strings.Join(d, ", ")
}
