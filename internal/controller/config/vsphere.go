/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"context"

	"github.com/go-logr/logr"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere"
)

// newVSphere logs in to the vCenter the provider config names, with the credentials its
// spec.credentials holds.
func newVSphere(ctx context.Context, v v1alpha1.VSphereDriver, creds []byte, log logr.Logger) (cloud.Driver, error) {
	c, err := vsphere.ParseCredentials(creds)
	if err != nil {
		return nil, err
	}
	return vsphere.New(ctx, v, c, log.WithValues("driver", "vsphere", "server", v.Server))
}
