/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package config

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/capstan-dev/capstan/internal/cloud"
)

// Metrics of what the clouds hold, per provider config: what a platform team watches for leaks.
var (
	cloudInstances = prometheus.NewDesc("capstan_cloud_instances",
		"Instances the cloud of a provider config holds, whatever their state.", []string{"provider_config"}, nil)
	cloudLoadBalancers = prometheus.NewDesc("capstan_cloud_load_balancers",
		"Load balancers the cloud of a provider config holds, whatever their state.", []string{"provider_config"}, nil)
)

var _ prometheus.Collector = &Drivers{}

// Describe sends the descriptors of the cloud inventory metrics.
func (d *Drivers) Describe(ch chan<- *prometheus.Desc) {
	ch <- cloudInstances
	ch <- cloudLoadBalancers
}

// Collect counts what the cloud of every started driver holds, for drivers that can tell.
func (d *Drivers) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for key, s := range d.drivers {
		inv, ok := s.driver.(cloud.Inventorier)
		if !ok {
			continue
		}
		n := inv.Inventory()
		ch <- prometheus.MustNewConstMetric(cloudInstances, prometheus.GaugeValue, float64(n.Instances), key)
		ch <- prometheus.MustNewConstMetric(cloudLoadBalancers, prometheus.GaugeValue, float64(n.LoadBalancers), key)
	}
}
