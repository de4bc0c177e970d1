/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/plan"
)

// planCmd shows what applying a ClusterClaim would change, down to each machine.
type planCmd struct {
	kubeFlags

	File   string `help:"The ClusterClaim as it would be applied." required:"" short:"f" type:"existingfile"`
	Output string `default:"text" enum:"text,json,markdown" help:"Output format: text, json or markdown (a pull-request comment)." short:"o"`
}

// Run plans the change and prints it; a change that would be refused exits non-zero.
func (c *planCmd) Run(g globals) error {
	b, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	claim := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(b, &claim.Object); err != nil {
		return errors.Wrapf(err, "cannot read %s", c.File)
	}
	if claim.GetNamespace() == "" {
		claim.SetNamespace(c.Namespace)
	}
	p, err := c.plane(g)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "Management plane: %s\n", p)
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(p.rules, nil).ClientConfig()
	if err != nil {
		return errors.Wrapf(err, errKubeconfig, p)
	}
	pl, err := plan.Make(context.Background(), cfg, claim)
	if err != nil {
		return err
	}
	switch c.Output {
	case "json":
		err = pl.WriteJSON(os.Stdout)
	case "markdown":
		err = pl.WriteMarkdown(os.Stdout)
	default:
		err = pl.WriteText(os.Stdout)
	}
	if err != nil {
		return err
	}
	if pl.Refused != "" {
		return errors.New("the change would be refused")
	}
	return nil
}
