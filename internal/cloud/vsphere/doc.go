/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package vsphere is a cloud.Driver on a vCenter, through govmomi.
//
// The model:
//
//   - An Instance is a VM cloned from the template its image maps to, named after the
//     Instance's ID in the configured folder. vCenter refuses a second VM of one name in a
//     folder, so a provider that dies between the clone and recording the ID finds the VM again
//     and never makes two. The clone is linked (a child disk of the template's current snapshot)
//     when the template has a snapshot, else full. CPU, memory, disk and network come from the
//     spec; the bootstrap data reaches cloud-init through guestinfo (userdata and metadata, with
//     the hostname and DHCP networking), as Cluster API Provider vSphere does.
//   - An Instance is Running once the VM is powered on and its guest reports an IP address
//     (VMware Tools); its providerID is vsphere://<BIOS UUID>, as the vSphere cloud provider sets.
//   - vSphere has no load balancer. A LoadBalancer is a virtual IP taken from the configured
//     pool and announced by kube-vip on the control-plane machines (see docs/adr). The driver
//     only reserves the address: a custom field definition named after it, which vCenter keeps
//     unique, holds its owner on the datacenter. Reservations outlive the provider.
package vsphere
