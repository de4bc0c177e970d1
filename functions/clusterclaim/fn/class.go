/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fn

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/crossplane/function-sdk-go/resource"

	infrav1 "github.com/capstan-dev/capstan/apis/infrastructure/v1alpha1"
	"github.com/capstan-dev/capstan/functions/clusterclaim/input/v1beta1"
)

// A composedObject is a typed object to compose and its composition resource name.
type composedObject struct {
	name resource.Name
	obj  runtime.Object
}

// classObjects returns the ClusterClass of the plan and the templates it points at: one
// CapstanClusterTemplate, one KubeadmControlPlaneTemplate, a CapstanMachineTemplate per size in
// use and a KubeadmConfigTemplate per pool. Every template is named after its content hash,
// because Cluster API treats templates as immutable: new content must be a new template.
func classObjects(p *plan) ([]composedObject, error) {
	var out []composedObject
	// add names a template <claim>.<role>-<hash> and its composition resource <key>-<hash>.
	// Claim names have no dots, so no two claims' template names can be the same.
	add := func(key, role string, obj templateObject, content any) (clusterv1.ClusterClassTemplateReference, error) {
		h, err := contentHash(content)
		if err != nil {
			return clusterv1.ClusterClassTemplateReference{}, err
		}
		obj.SetName(templateName(p.name, role, h))
		obj.SetNamespace(p.namespace)
		out = append(out, composedObject{name: resource.Name(key + "-" + h), obj: obj})
		gvk := obj.GetObjectKind().GroupVersionKind()
		return clusterv1.ClusterClassTemplateReference{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Name: obj.GetName()}, nil
	}

	it := infrastructureTemplate(p)
	infra, err := add(resInfraTemplate, "cluster", it, it.Spec)
	if err != nil {
		return nil, err
	}
	ct := controlPlaneTemplate(p)
	kcp, err := add(resControlPlaneTemplate, "controlplane", ct, ct.Spec)
	if err != nil {
		return nil, err
	}
	machines := map[string]clusterv1.ClusterClassTemplateReference{}
	machine := func(s v1beta1.Size) (clusterv1.ClusterClassTemplateReference, error) {
		if ref, ok := machines[s.Name]; ok {
			return ref, nil
		}
		mt := machineTemplate(p, s)
		ref, err := add(resMachineTemplate+"-"+s.Name, s.Name, mt, mt.Spec)
		machines[s.Name] = ref
		return ref, err
	}
	cpMachine, err := machine(p.controlPlaneSize)
	if err != nil {
		return nil, err
	}

	class := &clusterv1.ClusterClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "ClusterClass"},
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: p.namespace},
		Spec: clusterv1.ClusterClassSpec{
			Infrastructure: clusterv1.InfrastructureClass{TemplateRef: infra},
			ControlPlane: clusterv1.ControlPlaneClass{
				TemplateRef:           kcp,
				MachineInfrastructure: clusterv1.ControlPlaneClassMachineInfrastructureTemplate{TemplateRef: cpMachine},
				HealthCheck: clusterv1.ControlPlaneClassHealthCheck{Checks: clusterv1.ControlPlaneClassHealthCheckChecks{
					NodeStartupTimeoutSeconds: p.input.HealthChecks.NodeStartupTimeoutSeconds,
					UnhealthyNodeConditions:   unhealthyNodeConditions(p.input.HealthChecks),
				}},
			},
		},
	}
	for _, pl := range p.pools {
		bt := bootstrapTemplate(p, pl)
		boot, err := add(resBootstrapTemplate+"-"+pl.name, pl.name, bt, bt.Spec)
		if err != nil {
			return nil, err
		}
		infra, err := machine(pl.size)
		if err != nil {
			return nil, err
		}
		class.Spec.Workers.MachineDeployments = append(class.Spec.Workers.MachineDeployments, clusterv1.MachineDeploymentClass{
			Class:          pl.class,
			Bootstrap:      clusterv1.MachineDeploymentClassBootstrapTemplate{TemplateRef: boot},
			Infrastructure: clusterv1.MachineDeploymentClassInfrastructureTemplate{TemplateRef: infra},
			HealthCheck: clusterv1.MachineDeploymentClassHealthCheck{Checks: clusterv1.MachineDeploymentClassHealthCheckChecks{
				NodeStartupTimeoutSeconds: p.input.HealthChecks.NodeStartupTimeoutSeconds,
				UnhealthyNodeConditions:   unhealthyNodeConditions(p.input.HealthChecks),
			}},
		})
	}
	return append(out, composedObject{name: resClusterClass, obj: class}), nil
}

// templateObject is a template; its spec is its content.
type templateObject interface {
	runtime.Object
	metav1.Object
}

func infrastructureTemplate(p *plan) *infrav1.CapstanClusterTemplate {
	t := &infrav1.CapstanClusterTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: infrav1.SchemeGroupVersion.String(), Kind: infrav1.CapstanClusterTemplateKind},
		Spec: infrav1.CapstanClusterTemplateSpec{Template: infrav1.CapstanClusterTemplateResource{
			Spec: infrav1.CapstanClusterSpec{ProviderConfigRef: providerConfigRef(p)},
		}},
	}
	if p.kubeVIP {
		k := p.input.KubeVIP
		t.Spec.Template.Spec.LoadBalancer.KubeVIP = infrav1.KubeVIP{Image: k.Image, Interface: k.Interface}
	}
	return t
}

func machineTemplate(p *plan, s v1beta1.Size) *infrav1.CapstanMachineTemplate {
	return &infrav1.CapstanMachineTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: infrav1.SchemeGroupVersion.String(), Kind: infrav1.CapstanMachineTemplateKind},
		Spec: infrav1.CapstanMachineTemplateSpec{Template: infrav1.CapstanMachineTemplateResource{
			Spec: infrav1.CapstanMachineSpec{
				Resources:         &infrav1.MachineResources{CPU: s.CPU, MemoryMiB: s.MemoryMiB, DiskGiB: s.DiskGiB},
				Image:             p.input.MachineImage,
				ProviderConfigRef: providerConfigRef(p),
			},
		}},
	}
}

func controlPlaneTemplate(p *plan) *controlplanev1.KubeadmControlPlaneTemplate {
	k := p.input.Kubeadm
	reg := bootstrapv1.NodeRegistrationOptions{CRISocket: k.CRISocket, KubeletExtraArgs: args(k.KubeletExtraArgs)}
	t := &controlplanev1.KubeadmControlPlaneTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: controlplanev1.GroupVersion.String(), Kind: "KubeadmControlPlaneTemplate"},
		Spec: controlplanev1.KubeadmControlPlaneTemplateSpec{Template: controlplanev1.KubeadmControlPlaneTemplateResource{
			Spec: controlplanev1.KubeadmControlPlaneTemplateResourceSpec{KubeadmConfigSpec: bootstrapv1.KubeadmConfigSpec{
				ClusterConfiguration: bootstrapv1.ClusterConfiguration{APIServer: bootstrapv1.APIServer{
					CertSANs:  k.APIServerCertSANs,
					ExtraArgs: args(k.APIServerExtraArgs),
				}},
				InitConfiguration: bootstrapv1.InitConfiguration{NodeRegistration: reg},
				JoinConfiguration: bootstrapv1.JoinConfiguration{NodeRegistration: reg},
			}},
		}},
	}
	if p.kubeVIP {
		addKubeVIP(&t.Spec.Template.Spec.KubeadmConfigSpec, p.name)
	}
	return t
}

func bootstrapTemplate(p *plan, pl pool) *bootstrapv1.KubeadmConfigTemplate {
	k := p.input.Kubeadm
	kubelet := args(k.KubeletExtraArgs)
	if len(pl.labels) > 0 {
		kv := make([]string, 0, len(pl.labels))
		for _, key := range slices.Sorted(maps.Keys(pl.labels)) {
			kv = append(kv, key+"="+pl.labels[key])
		}
		kubelet = append(kubelet, bootstrapv1.Arg{Name: "node-labels", Value: ptr.To(strings.Join(kv, ","))})
	}
	reg := bootstrapv1.NodeRegistrationOptions{CRISocket: k.CRISocket, KubeletExtraArgs: kubelet}
	if len(pl.taints) > 0 {
		taints := make([]corev1.Taint, 0, len(pl.taints))
		for _, t := range pl.taints {
			taints = append(taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
		}
		reg.Taints = &taints
	}
	return &bootstrapv1.KubeadmConfigTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: bootstrapv1.GroupVersion.String(), Kind: "KubeadmConfigTemplate"},
		Spec: bootstrapv1.KubeadmConfigTemplateSpec{Template: bootstrapv1.KubeadmConfigTemplateResource{
			Spec: bootstrapv1.KubeadmConfigSpec{JoinConfiguration: bootstrapv1.JoinConfiguration{NodeRegistration: reg}},
		}},
	}
}

// unhealthyNodeConditions replaces a machine whose Node is not Ready for the input's timeout.
func unhealthyNodeConditions(hc v1beta1.HealthChecks) []clusterv1.UnhealthyNodeCondition {
	timeout := ptr.To(ptr.Deref(hc.UnhealthyNodeTimeoutSeconds, defaultUnhealthyNodeTimeout))
	return []clusterv1.UnhealthyNodeCondition{
		{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, TimeoutSeconds: timeout},
		{Type: corev1.NodeReady, Status: corev1.ConditionFalse, TimeoutSeconds: timeout},
	}
}

func providerConfigRef(p *plan) *infrav1.ProviderConfigReference {
	if p.providerConfigRef == nil {
		return nil
	}
	return &infrav1.ProviderConfigReference{Kind: infrav1.ProviderConfigKind(p.providerConfigRef.Kind), Name: p.providerConfigRef.Name}
}

func args(in []v1beta1.Arg) []bootstrapv1.Arg {
	if len(in) == 0 {
		return nil
	}
	out := make([]bootstrapv1.Arg, 0, len(in))
	for _, a := range in {
		out = append(out, bootstrapv1.Arg{Name: a.Name, Value: ptr.To(a.Value)})
	}
	return out
}
