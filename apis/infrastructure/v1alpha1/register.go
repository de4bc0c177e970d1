/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Package type metadata.
const (
	Group   = "infrastructure.cluster.x-k8s.io"
	Version = "v1alpha1"
)

// ContractLabel is the label every Capstan infrastructure CRD carries so that Cluster API knows
// which of the CRD's versions implements which contract: Cluster API reads
// cluster.x-k8s.io/<contract>=<versions>.
const ContractLabel = "cluster.x-k8s.io/v1beta2"

var (
	// SchemeGroupVersion is the group version of the Capstan infrastructure kinds.
	SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeBuilder adds the kinds of this group version to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this group version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// NOTE: apimachinery's builder, not controller-runtime's: API packages should import little beyond
// k8s.io/apimachinery, so that functions and clients can use them cheaply.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion,
		&CapstanCluster{}, &CapstanClusterList{},
		&CapstanClusterTemplate{}, &CapstanClusterTemplateList{},
		&CapstanMachine{}, &CapstanMachineList{},
		&CapstanMachineTemplate{}, &CapstanMachineTemplateList{},
	)
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
