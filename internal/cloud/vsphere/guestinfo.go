/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"encoding/base64"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"sigs.k8s.io/yaml"

	"github.com/capstan-dev/capstan/internal/cloud"
)

// extraConfig keys: guestinfo.* is what cloud-init's VMware datasource reads inside the guest;
// capstan.* records what the VM was made from, for observations and to tell Capstan's VMs
// from others.
const (
	KeyUserData         = "guestinfo.userdata"
	KeyUserDataEncoding = "guestinfo.userdata.encoding"
	KeyMetadata         = "guestinfo.metadata"
	KeyMetadataEncoding = "guestinfo.metadata.encoding"

	keyID            = "capstan.id"
	keyImage         = "capstan.image"
	keyNetwork       = "capstan.network"
	keyFailureDomain = "capstan.failureDomain"
)

// Metadata is the cloud-init metadata a VM boots with: its identity and DHCP on every network
// card, as Cluster API Provider vSphere writes it.
type Metadata struct {
	InstanceID    string          `json:"instance-id"`
	LocalHostname string          `json:"local-hostname"`
	Network       MetadataNetwork `json:"network"`
}

// MetadataNetwork is a netplan (version 2) network configuration.
type MetadataNetwork struct {
	Version   int                         `json:"version"`
	Ethernets map[string]MetadataEthernet `json:"ethernets"`
}

// MetadataEthernet configures the network cards it matches.
type MetadataEthernet struct {
	Match map[string]string `json:"match"`
	DHCP4 bool              `json:"dhcp4"`
}

// guestInfo is the extraConfig of a new VM: its cloud-init user data and metadata, and what it
// was made from.
func guestInfo(id string, spec cloud.InstanceSpec) []types.BaseOptionValue {
	md, _ := yaml.Marshal(Metadata{ //nolint:errchkjson // plain strings and maps always marshal.
		InstanceID:    id,
		LocalHostname: hostname(id),
		Network: MetadataNetwork{Version: 2, Ethernets: map[string]MetadataEthernet{
			"nics": {Match: map[string]string{"name": "e*"}, DHCP4: true},
		}},
	})
	b64 := base64.StdEncoding.EncodeToString
	return []types.BaseOptionValue{
		&types.OptionValue{Key: KeyMetadata, Value: b64(md)},
		&types.OptionValue{Key: KeyMetadataEncoding, Value: "base64"},
		&types.OptionValue{Key: KeyUserData, Value: b64(spec.UserData)},
		&types.OptionValue{Key: KeyUserDataEncoding, Value: "base64"},
		&types.OptionValue{Key: keyID, Value: id},
		&types.OptionValue{Key: keyImage, Value: spec.Image},
		&types.OptionValue{Key: keyNetwork, Value: spec.Network},
		&types.OptionValue{Key: keyFailureDomain, Value: spec.FailureDomain},
	}
}

// extraConfig is the value of key in the VM's extraConfig, or "".
func extraConfig(vm *mo.VirtualMachine, key string) string {
	if vm.Config == nil {
		return ""
	}
	return ExtraConfigValue(vm.Config.ExtraConfig, key)
}

// ExtraConfigValue is the value of key in extraConfig options, or "".
func ExtraConfigValue(options []types.BaseOptionValue, key string) string {
	for _, o := range options {
		if v := o.GetOptionValue(); v != nil && v.Key == key {
			s, _ := v.Value.(string)
			return s
		}
	}
	return ""
}

// hostname is the VM's hostname, which kubeadm uses as its Node name: the ID, lower-cased, with
// every character a DNS label cannot hold replaced by '-', at most 63 characters.
func hostname(id string) string {
	h := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		default:
			return '-'
		}
	}, id)
	h = strings.Trim(h[:min(len(h), 63)], "-")
	if h == "" {
		return "vm"
	}
	return h
}
