/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/fake"
)

// countingDriver is a driver whose cloud holds a fixed inventory.
type countingDriver struct {
	fake.Driver
	inv cloud.Inventory
}

func (d *countingDriver) Inventory() cloud.Inventory { return d.inv }

// TestDriversCollect: the inventory of every driver that can count, labelled with its provider
// config; drivers that cannot count are left out rather than reported as empty.
func TestDriversCollect(t *testing.T) {
	d := NewDrivers(nil, nil)
	d.drivers["ClusterProviderConfig/default"] = started{driver: &countingDriver{inv: cloud.Inventory{Instances: 3, LoadBalancers: 1}}}
	d.drivers["ProviderConfig/team-a/cloud"] = started{driver: &countingDriver{}}
	d.drivers["ProviderConfig/team-b/opaque"] = started{driver: &fake.Driver{}}

	want := `
# HELP capstan_cloud_instances Instances the cloud of a provider config holds, whatever their state.
# TYPE capstan_cloud_instances gauge
capstan_cloud_instances{provider_config="ClusterProviderConfig/default"} 3
capstan_cloud_instances{provider_config="ProviderConfig/team-a/cloud"} 0
# HELP capstan_cloud_load_balancers Load balancers the cloud of a provider config holds, whatever their state.
# TYPE capstan_cloud_load_balancers gauge
capstan_cloud_load_balancers{provider_config="ClusterProviderConfig/default"} 1
capstan_cloud_load_balancers{provider_config="ProviderConfig/team-a/cloud"} 0
`
	if err := testutil.CollectAndCompare(d, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
