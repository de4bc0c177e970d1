/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/cluster-api/util/secret"
)

// parsed is what a test compares of a bootData.
type parsed struct {
	Role      role
	Endpoint  string
	NodeName  string
	Version   string
	ClusterCA bool
	EtcdCA    bool
}

func summarise(b *bootData) parsed {
	return parsed{
		Role: b.role, Endpoint: b.endpoint, NodeName: b.nodeName, Version: b.kubernetesVersion,
		ClusterCA: b.clusterCA != nil, EtcdCA: b.etcdCA != nil,
	}
}

func TestParseUserData(t *testing.T) {
	const ep = "127.0.0.1:20001"
	cs := clusterCerts()
	cases := map[string]struct {
		reason   string
		userData []byte
		want     parsed
		wantErr  string
	}{
		"Init": {
			reason:   "CABPK's init data names the endpoint, the version and both CAs.",
			userData: initUserData(t, ep, cs),
			want:     parsed{Role: roleInit, Endpoint: ep, NodeName: "{{ ds.meta_data.local_hostname }}", Version: testVersion, ClusterCA: true, EtcdCA: true},
		},
		"InitEndpointWithoutPort": {
			reason:   "kubeadm uses the API server bind port when controlPlaneEndpoint has none.",
			userData: initUserData(t, "10.1.2.3", cs),
			want:     parsed{Role: roleInit, Endpoint: "10.1.2.3:6443", NodeName: "{{ ds.meta_data.local_hostname }}", Version: testVersion, ClusterCA: true, EtcdCA: true},
		},
		"JoinControlPlane": {
			reason:   "A control plane join carries the CAs and a controlPlane section.",
			userData: joinControlPlaneUserData(t, ep, cs),
			want:     parsed{Role: roleJoinControlPlane, Endpoint: ep, ClusterCA: true, EtcdCA: true},
		},
		"JoinControlPlaneExternalEtcd": {
			reason:   "With external etcd a joining control plane machine gets no etcd CA key and runs no member.",
			userData: joinControlPlaneUserData(t, ep, withoutKey(cs, secret.EtcdCA)),
			want:     parsed{Role: roleJoinControlPlane, Endpoint: ep, ClusterCA: true},
		},
		"Worker": {
			reason:   "A worker only names the endpoint it joins.",
			userData: workerUserData(t, ep),
			want:     parsed{Role: roleWorker, Endpoint: ep},
		},
		"EncodedFiles": {
			reason:   "write_files content may be base64 or gzip+base64 encoded, as cloud-init allows.",
			userData: encodeFiles(t, workerUserData(t, ep)),
			want:     parsed{Role: roleWorker, Endpoint: ep},
		},
		"BadYAML": {
			reason:   "User data that is not YAML names the problem.",
			userData: []byte("#cloud-config\nwrite_files: [\n"),
			wantErr:  "cannot parse user data as a #cloud-config YAML document",
		},
		"UnknownEncoding": {
			reason:   "An unknown write_files encoding names the file.",
			userData: []byte("#cloud-config\nwrite_files:\n- path: /x\n  encoding: rot13\n  content: a\n"),
			wantErr:  `cannot decode write_files[0] (/x): unknown encoding "rot13"`,
		},
		"JoinWithoutEndpoint": {
			reason:   "A join configuration must name the API server endpoint.",
			userData: []byte("#cloud-config\nwrite_files:\n- path: /run/kubeadm/kubeadm-join-config.yaml\n  content: |\n    apiVersion: kubeadm.k8s.io/v1beta4\n    kind: JoinConfiguration\n"),
			wantErr:  "JoinConfiguration.discovery.bootstrapToken.apiServerEndpoint is empty in /run/kubeadm/kubeadm-join-config.yaml (only bootstrap token discovery is supported)",
		},
		"InitWithoutEndpoint": {
			reason:   "An init configuration must name the control plane endpoint.",
			userData: []byte("#cloud-config\nwrite_files:\n- path: /run/kubeadm/kubeadm.yaml\n  content: |\n    apiVersion: kubeadm.k8s.io/v1beta4\n    kind: ClusterConfiguration\n    kubernetesVersion: v1.35.0\n"),
			wantErr:  "ClusterConfiguration.controlPlaneEndpoint is empty in /run/kubeadm/kubeadm.yaml",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := parseUserData(tc.userData)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nparseUserData(): want error starting %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nparseUserData(): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, summarise(b)); diff != "" {
				t.Errorf("%s\nparseUserData(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// encodeFiles rewrites a CABPK document so its join configuration is gzip+base64 encoded and its
// sentinel placeholder base64 encoded.
func encodeFiles(t *testing.T, ud []byte) []byte {
	t.Helper()
	files, err := cloudConfigFiles(ud)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	if _, err := w.Write([]byte(files[joinConfigPath])); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte("## template: jinja\n#cloud-config\nwrite_files:\n" +
		"- path: " + joinConfigPath + "\n  encoding: gzip+base64\n  content: " + base64.StdEncoding.EncodeToString(gz.Bytes()) + "\n" +
		"- path: /run/cluster-api/placeholder\n  encoding: b64\n  content: " + base64.StdEncoding.EncodeToString([]byte("placeholder")) + "\n")
}

func TestOptions(t *testing.T) {
	cases := map[string]struct {
		reason  string
		o       Options
		wantErr string
	}{
		"Defaults": {
			reason: "The zero value is usable.",
		},
		"NegativeBootDelay": {
			reason:  "A boot cannot happen before the create.",
			o:       Options{BootDelay: -1},
			wantErr: "Options.BootDelay must not be negative, got -1ns",
		},
		"Unspecified": {
			reason:  "Listeners must not bind every interface: the workload API servers take no credentials.",
			o:       Options{BindAddress: "0.0.0.0"},
			wantErr: `Options.BindAddress must be a specific IP address (not a name, not 0.0.0.0 or ::), got "0.0.0.0"`,
		},
		"PortRange": {
			reason:  "The range must not be empty.",
			o:       Options{MinPort: 30000, MaxPort: 29999},
			wantErr: "Options.MinPort (30000) must not be greater than Options.MaxPort (29999)",
		},
		"PortOutOfRange": {
			reason:  "Ports are 16 bits.",
			o:       Options{MaxPort: 70000},
			wantErr: "Options.MaxPort must be between 1 and 65535, got 70000",
		},
		"DuplicateFailureDomain": {
			reason:  "Failure domains are distinct names.",
			o:       Options{FailureDomains: []string{"a", "a"}},
			wantErr: `Options.FailureDomains[1] must be a non-empty, unique name, got "a"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.o.withDefaults()
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("%s\nwithDefaults(): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestHostname(t *testing.T) {
	cases := map[string]struct {
		reason string
		id     string
		want   string
	}{
		"Plain":   {reason: "A DNS-safe ID is the hostname.", id: "cp-0", want: "cp-0"},
		"Mixed":   {reason: "Upper case and other characters become DNS-safe.", id: "NS/Machine_1", want: "ns-machine-1"},
		"Symbols": {reason: "An ID with nothing DNS-safe still gets a hostname.", id: "///", want: "instance"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, hostname(tc.id)); diff != "" {
				t.Errorf("%s\nhostname(%q): -want, +got:\n%s", tc.reason, tc.id, diff)
			}
		})
	}
}
