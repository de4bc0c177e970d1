/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
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
	// SchemeGroupVersion is the group version used to register these objects.
	SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeBuilder adds the Go types to a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: SchemeGroupVersion}

	// AddToScheme adds the types of this group version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
