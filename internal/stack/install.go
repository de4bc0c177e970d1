/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
	pkgv1beta1 "github.com/crossplane/crossplane/apis/v2/pkg/v1beta1"

	"github.com/capstan-dev/capstan/apis"
	platformv1alpha1 "github.com/capstan-dev/capstan/apis/platform/v1alpha1"
	"github.com/capstan-dev/capstan/apis/v1alpha1"
)

// FieldOwner is the server-side apply field manager of what the stack installs.
const FieldOwner = "capstan"

// DefaultNamespace is where ApplyInNamespace puts namespaced objects that name no namespace.
const DefaultNamespace = "default"

// DefaultProviderConfigName is the ClusterProviderConfig the provider uses when a resource names
// none, the Crossplane convention.
const DefaultProviderConfigName = "default"

const (
	crdEstablishTimeout = time.Minute
)

const (
	errRead        = "cannot read %s"
	errParse       = "cannot parse %s"
	errNoManifests = "%s holds no YAML manifests"
	errApply       = "cannot apply %s %q from %s"
	errEstablish   = "CRD %q is not established"
	errScheme      = "cannot build the client scheme"
	errNamespace   = "cannot create namespace %s"
)

// Scheme holds every kind the stack and the capstan CLI read or write: Kubernetes, CRDs,
// Crossplane packages, Capstan's provider and platform kinds, and the Cluster API kinds a
// ClusterClaim becomes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, pkgv1.AddToScheme, pkgv1beta1.AddToScheme,
		apis.AddToScheme, platformv1alpha1.AddToScheme, clusterv1.AddToScheme, controlplanev1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, errors.Wrap(err, errScheme)
		}
	}
	return s, nil
}

// NewClient returns a client for cfg with Scheme's kinds.
func NewClient(cfg *rest.Config) (client.Client, error) {
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// ReadObjects parses the objects of a multi-document YAML file.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrapf(err, errRead, path)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, errParse, path)
		}
		if len(strings.TrimSpace(string(doc))) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, errors.Wrapf(err, errParse, path)
		}
		if len(u.Object) == 0 {
			continue // a document of comments only.
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// apply server-side applies u, taking ownership of every field it sets.
func apply(ctx context.Context, c client.Client, u *unstructured.Unstructured) error {
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership)
}

// ApplyInNamespace server-side applies every object in a YAML file as kubectl would: namespaced
// objects that name no namespace go to DefaultNamespace. Namespaces they need are created.
func ApplyInNamespace(ctx context.Context, c client.Client, path string) ([]*unstructured.Unstructured, error) {
	objs, err := ReadObjects(path)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, errors.Errorf(errNoManifests, path)
	}
	for _, o := range objs {
		namespaced, err := c.IsObjectNamespaced(o)
		if err != nil {
			return nil, errors.Wrapf(err, errApply, o.GetKind(), o.GetName(), path)
		}
		if namespaced {
			if o.GetNamespace() == "" {
				o.SetNamespace(DefaultNamespace)
			}
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.GetNamespace()}}
			if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
				return nil, errors.Wrapf(err, errNamespace, ns.Name)
			}
		}
		if err := apply(ctx, c, o); err != nil {
			return nil, errors.Wrapf(err, errApply, o.GetKind(), o.GetName(), path)
		}
	}
	return objs, nil
}

// waitEstablished waits until the API server serves the CRD's kinds.
func waitEstablished(ctx context.Context, c client.Client, name string) error {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, crdEstablishTimeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	return errors.Wrapf(err, errEstablish, name)
}

// DefaultProviderConfig creates the ClusterProviderConfig named default, on an in-memory cloud
// with its defaults, unless one exists. The cloud runs at endpoint, or in the provider when
// endpoint is empty. It waits for the API server's discovery to serve the kind: a provider is
// Healthy once its CRDs are established, and discovery follows them a moment later.
func DefaultProviderConfig(ctx context.Context, c client.Client, endpoint string) error {
	pc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Driver:      v1alpha1.DriverConfig{InMemory: &v1alpha1.InMemoryDriver{Endpoint: endpoint}},
			Credentials: v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceNone},
		},
	}
	var err error
	// NOTE: each create runs on ctx, not on the poll's, so the last answer is the API server's.
	_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, crdEstablishTimeout, true, func(context.Context) (bool, error) {
		err = c.Create(ctx, pc.DeepCopy())
		return !meta.IsNoMatchError(err), nil
	})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
