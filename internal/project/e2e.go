/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// fieldOwner applies what E2ETests apply.
const fieldOwner = "capstan-test"

// E2ERunner runs E2ETests on a control plane.
type E2ERunner struct {
	Client client.Client
	// Namespace of namespaced objects that name none.
	Namespace string
	// Poll is how often conditions are read.
	Poll time.Duration
}

// E2EResult is what one E2ETest did.
type E2EResult struct {
	// Ready is how long the manifests took to reach their conditions; Deleted how long
	// everything took to go (zero with skipDelete).
	Ready, Deleted time.Duration
}

// CheckCrossplane refuses a test that needs a Crossplane other than version, which the control
// plane runs.
func CheckCrossplane(t E2ETest, version string) error {
	c := t.Spec.Crossplane
	switch {
	case c.Version != "" && strings.TrimPrefix(c.Version, "v") != version:
		return errors.Errorf("spec.crossplane.version: %q, but the control plane runs Crossplane %s", c.Version, version)
	case c.State != "" && c.State != "Running":
		return errors.Errorf("spec.crossplane.state: %q, but tests need a Running control plane", c.State)
	}
	return nil
}

// Run applies the test's extra resources and manifests, waits for every manifest's default
// conditions to be True, then deletes all it applied and waits for it to be gone.
func (r E2ERunner) Run(ctx context.Context, t E2ETest) (E2EResult, error) {
	res := E2EResult{}
	extra, manifests := r.objects(t.Spec.ExtraResources), r.objects(t.Spec.Manifests)
	all := append(slices.Clone(extra), manifests...)
	start := time.Now()
	for _, u := range all {
		if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return res, errors.Wrapf(err, "cannot apply %s", describe(u))
		}
	}
	timeout := time.Duration(t.Spec.TimeoutSeconds) * time.Second
	var waiting string
	err := wait.PollUntilContextTimeout(ctx, r.poll(), timeout, true, func(ctx context.Context) (bool, error) {
		waiting = ""
		for _, u := range manifests {
			msg, err := r.unmet(ctx, u, t.Spec.DefaultConditions)
			if err != nil || msg != "" {
				waiting = msg
				return false, client.IgnoreNotFound(err)
			}
		}
		return true, nil
	})
	if err != nil {
		return res, errors.Errorf("not ready after %s: %s", timeout, waiting)
	}
	res.Ready = time.Since(start)
	if t.Spec.SkipDelete {
		return res, nil
	}
	deleted := time.Now()
	if err := r.delete(ctx, manifests, timeout); err != nil {
		return res, err
	}
	if err := r.delete(ctx, extra, timeout); err != nil {
		return res, err
	}
	res.Deleted = time.Since(deleted)
	return res, nil
}

// objects are objs as unstructured, in the runner's namespace when namespaced and unplaced.
func (r E2ERunner) objects(objs []map[string]any) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		u := (&unstructured.Unstructured{Object: o}).DeepCopy()
		if u.GetNamespace() == "" && r.namespaced(u) {
			u.SetNamespace(r.Namespace)
		}
		out = append(out, u)
	}
	return out
}

func (r E2ERunner) namespaced(u *unstructured.Unstructured) bool {
	ok, err := r.Client.IsObjectNamespaced(u)
	return err == nil && ok
}

func (r E2ERunner) poll() time.Duration {
	if r.Poll == 0 {
		return time.Second
	}
	return r.Poll
}

// unmet says which condition of u is not True yet, "" when all are.
func (r E2ERunner) unmet(ctx context.Context, want *unstructured.Unstructured, conditions []string) (string, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(want.GroupVersionKind())
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), u); err != nil {
		return describe(want) + ": " + err.Error(), err
	}
	have, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conditions {
		status, msg := "Unknown", "not reported yet"
		for _, h := range have {
			hc, _ := h.(map[string]any)
			if hc["type"] == c {
				status, msg = fmt.Sprint(hc["status"]), fmt.Sprint(hc["message"])
			}
		}
		if status != "True" {
			return fmt.Sprintf("%s: %s is %s: %s", describe(want), c, status, msg), nil
		}
	}
	return "", nil
}

// delete deletes objs in reverse order and waits until each is gone. Deletion is in the
// foreground, so an object is gone only once what it owns is (a claim's Cluster and machines),
// and the extra resources those used (a shared ClusterClass) can go after it.
func (r E2ERunner) delete(ctx context.Context, objs []*unstructured.Unstructured, timeout time.Duration) error {
	for i := len(objs) - 1; i >= 0; i-- {
		err := r.Client.Delete(ctx, objs[i].DeepCopy(), client.PropagationPolicy(metav1.DeletePropagationForeground))
		if client.IgnoreNotFound(err) != nil && !meta.IsNoMatchError(err) {
			return errors.Wrapf(err, "cannot delete %s", describe(objs[i]))
		}
	}
	var left string
	err := wait.PollUntilContextTimeout(ctx, r.poll(), timeout, true, func(ctx context.Context) (bool, error) {
		for _, o := range objs {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(o.GroupVersionKind())
			err := r.Client.Get(ctx, client.ObjectKeyFromObject(o), u)
			if err == nil {
				left = describe(o)
				return false, nil
			}
			if !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
				return false, err
			}
		}
		return true, nil
	})
	return errors.Wrapf(err, "%s is not gone after %s", left, timeout)
}

func describe(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
}
