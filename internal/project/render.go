/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package project

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Renderer runs CompositionTests through crossplane render: the CLI, Crossplane core as the XR
// reconciler, and the project's functions served where FunctionsFile says.
type Renderer struct {
	// Root of the project the tests' paths are relative to.
	Root string
	// CLI is the crossplane CLI; Core the crossplane binary render runs the XR reconciler of.
	CLI, Core string
	// FunctionsFile lists the functions the Composition's pipeline names.
	FunctionsFile string
	// FunctionAnnotations are added to every function, e.g. the development runtime's target.
	FunctionAnnotations []string
}

// Run renders the test's XR and checks what it asserts. A test annotated with the expected error
// passes when the render fails with that message.
func (r Renderer) Run(ctx context.Context, t CompositionTest) error {
	timeout := time.Duration(t.Spec.TimeoutSeconds) * time.Second
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "composition-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	xr := filepath.Join(r.Root, t.Spec.XRPath)
	if t.Spec.XR != nil {
		if xr, err = writeDocs(dir, "xr.yaml", []map[string]any{t.Spec.XR}); err != nil {
			return err
		}
	}
	args := []string{
		"composition", "render", xr, filepath.Join(r.Root, t.Spec.CompositionPath), r.FunctionsFile,
		"--crossplane-binary=" + r.Core, "--xrd=" + filepath.Join(r.Root, t.Spec.XRDPath),
		"--timeout=" + strconv.Itoa(int(timeout.Seconds())) + "s",
	}
	for _, f := range []struct {
		flag string
		objs []map[string]any
	}{{"required-resources", t.Spec.ExtraResources}, {"observed-resources", t.Spec.ObservedResources}} {
		if len(f.objs) == 0 {
			continue
		}
		path, err := writeDocs(dir, f.flag+".yaml", f.objs)
		if err != nil {
			return err
		}
		args = append(args, "--"+f.flag+"="+path)
	}
	for _, a := range r.FunctionAnnotations {
		args = append(args, "--function-annotations="+a)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, r.CLI, args...) //nolint:gosec // the CLI the caller chose, on the project.s files.
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	if want := t.Metadata.Annotations[ExpectedErrorAnnotation]; want != "" {
		if runErr == nil {
			return errors.Errorf("the render succeeded; want it to fail with %q", want)
		}
		if !strings.Contains(stderr.String(), want) {
			return errors.Errorf("the render failed without %q:\n%s", want, stderr.String())
		}
		return nil
	}
	if runErr != nil {
		return errors.Errorf("crossplane composition render: %v\n%s", runErr, stderr.String())
	}
	docs, err := splitDocuments(stdout.Bytes())
	if err != nil {
		return errors.Wrap(err, "cannot read the render's output")
	}
	rendered := make([]map[string]any, 0, len(docs))
	for _, d := range docs {
		o := map[string]any{}
		if err := yaml.Unmarshal(d, &o); err != nil {
			return errors.Wrap(err, "cannot read the render's output")
		}
		rendered = append(rendered, o)
	}
	if failures := assertAll(t.Spec.AssertResources, rendered); len(failures) > 0 {
		return errors.New(strings.Join(failures, "\n"))
	}
	return nil
}

// writeDocs writes objs as one YAML stream to name in dir and returns its path.
func writeDocs(dir, name string, objs []map[string]any) (string, error) {
	var b bytes.Buffer
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return "", err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, b.Bytes(), 0o600)
}
