/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	kubeadmtypes "sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Where CABPK's cloud-init writes kubeadm's configuration and, by default, the certificates.
const (
	initConfigPath      = "/run/kubeadm/kubeadm.yaml"
	joinConfigPath      = "/run/kubeadm/kubeadm-join-config.yaml"
	defaultCertsDir     = "/etc/kubernetes/pki"
	defaultAPIPort      = 6443
	cloudConfigMarker   = "#cloud-config"
	jinjaTemplateMarker = "## template: jinja"
)

// role is what kubeadm command a machine runs.
type role string

const (
	roleInit             role = "init"
	roleJoinControlPlane role = "join-control-plane"
	roleWorker           role = "join-worker"
)

// keyPair is a certificate authority read from the user data.
type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// bootData is what a machine learns from its kubeadm bootstrap data.
type bootData struct {
	role role
	// endpoint is the control plane endpoint (host:port) the machine initialises or joins.
	endpoint string
	// nodeName is nodeRegistration.name; empty when the name is left to the machine's hostname.
	nodeName string
	// taints is nodeRegistration.taints; nil means kubeadm's defaults.
	taints *[]corev1.Taint
	// kubernetesVersion and clusterConfiguration are only known to the init machine.
	kubernetesVersion    string
	clusterConfiguration string
	certSANs             []string
	// clusterCA and etcdCA are only given to control plane machines; etcdCA is nil with
	// external etcd.
	clusterCA *keyPair
	etcdCA    *keyPair
	// kubeVIPAddress is the address the machine's kube-vip static pod announces, if it has one.
	kubeVIPAddress string
}

// controlPlane reports whether the machine runs an API server and an etcd member.
func (b *bootData) controlPlane() bool {
	return b.role == roleInit || b.role == roleJoinControlPlane
}

// cloudConfig is the part of a #cloud-config document a kubeadm machine needs.
type cloudConfig struct {
	WriteFiles []cloudConfigFile `json:"write_files"`
}

type cloudConfigFile struct {
	Path     string `json:"path"`
	Encoding string `json:"encoding"`
	Content  string `json:"content"`
}

// parseUserData reads kubeadm bootstrap data the way CABPK writes it: a #cloud-config document
// whose write_files hold the certificates and the kubeadm init or join configuration.
func parseUserData(data []byte) (*bootData, error) {
	files, err := cloudConfigFiles(data)
	if err != nil {
		return nil, err
	}
	initCfg, isInit := files[initConfigPath]
	joinCfg, isJoin := files[joinConfigPath]
	var b *bootData
	switch {
	case isInit:
		b, err = parseInit(initCfg, files)
	case isJoin:
		b, err = parseJoin(joinCfg, files)
	default:
		return nil, errors.Errorf("user data writes neither %s (kubeadm init) nor %s (kubeadm join)", initConfigPath, joinConfigPath)
	}
	if err != nil {
		return nil, err
	}
	b.kubeVIPAddress, err = kubeVIPAddress(files)
	return b, err
}

// cloudConfigFiles returns the decoded content of every write_files entry, by path.
func cloudConfigFiles(data []byte) (map[string]string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("user data is empty")
	}
	if !isCloudConfig(data) {
		return nil, errors.New("user data is not a #cloud-config document (only cloud-init kubeadm bootstrap data is supported)")
	}
	config := &cloudConfig{}
	if err := yaml.Unmarshal(data, config); err != nil {
		return nil, errors.Wrap(err, "cannot parse user data as a #cloud-config YAML document")
	}
	files := make(map[string]string, len(config.WriteFiles))
	for i, f := range config.WriteFiles {
		content, err := decodeContent(f.Encoding, f.Content)
		if err != nil {
			return nil, errors.Wrapf(err, "cannot decode write_files[%d] (%s)", i, f.Path)
		}
		files[f.Path] = content
	}
	return files, nil
}

// isCloudConfig reports whether the first line that is not CABPK's jinja marker is #cloud-config.
func isCloudConfig(data []byte) bool {
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, jinjaTemplateMarker) {
			continue
		}
		return strings.HasPrefix(line, cloudConfigMarker)
	}
	return false
}

// decodeContent undoes a cloud-init write_files encoding.
func decodeContent(encoding, content string) (string, error) {
	switch strings.ToLower(encoding) {
	case "", "text/plain":
		return content, nil
	case "b64", "base64":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(content))
		return string(b), errors.Wrap(err, "invalid base64")
	case "gz", "gzip":
		return gunzip([]byte(content))
	case "gz+b64", "gz+base64", "gzip+b64", "gzip+base64":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(content))
		if err != nil {
			return "", errors.Wrap(err, "invalid base64")
		}
		return gunzip(b)
	default:
		return "", errors.Errorf("unknown encoding %q", encoding)
	}
}

func gunzip(b []byte) (string, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", errors.Wrap(err, "invalid gzip")
	}
	out, err := io.ReadAll(r)
	return string(out), errors.Wrap(err, "invalid gzip")
}

// parseInit reads the ClusterConfiguration and InitConfiguration of a kubeadm init machine.
func parseInit(cfg string, files map[string]string) (*bootData, error) {
	docs, err := kubeadmDocuments(cfg)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot read %s", initConfigPath)
	}
	if docs["ClusterConfiguration"] == "" {
		return nil, errors.Errorf("%s has no ClusterConfiguration", initConfigPath)
	}
	clusterConfig, extra, err := kubeadmtypes.UnmarshalClusterConfiguration(docs["ClusterConfiguration"])
	if err != nil {
		return nil, errors.Wrapf(err, "cannot decode the ClusterConfiguration in %s", initConfigPath)
	}
	ic := &bootstrapv1.InitConfiguration{}
	if docs["InitConfiguration"] != "" {
		if ic, err = kubeadmtypes.UnmarshalInitConfiguration(docs["InitConfiguration"]); err != nil {
			return nil, errors.Wrapf(err, "cannot decode the InitConfiguration in %s", initConfigPath)
		}
	}

	b := &bootData{
		role:                 roleInit,
		nodeName:             ic.NodeRegistration.Name,
		taints:               ic.NodeRegistration.Taints,
		kubernetesVersion:    ptr.Deref(extra.KubernetesVersion, ""),
		clusterConfiguration: docs["ClusterConfiguration"],
		certSANs:             clusterConfig.APIServer.CertSANs,
	}
	if clusterConfig.ControlPlaneEndpoint == "" {
		return nil, errors.Errorf("ClusterConfiguration.controlPlaneEndpoint is empty in %s", initConfigPath)
	}
	bindPort := ic.LocalAPIEndpoint.BindPort
	if bindPort == 0 {
		bindPort = defaultAPIPort
	}
	if b.endpoint, err = withDefaultPort(clusterConfig.ControlPlaneEndpoint, bindPort); err != nil {
		return nil, errors.Wrapf(err, "invalid ClusterConfiguration.controlPlaneEndpoint in %s", initConfigPath)
	}
	if b.kubernetesVersion == "" {
		return nil, errors.Errorf("ClusterConfiguration.kubernetesVersion is empty in %s", initConfigPath)
	}

	dir := clusterConfig.CertificatesDir
	if dir == "" {
		dir = defaultCertsDir
	}
	if b.clusterCA, err = readKeyPair(files, path.Join(dir, "ca.crt"), path.Join(dir, "ca.key")); err != nil {
		return nil, errors.Wrap(err, "cannot read the cluster CA")
	}
	if len(clusterConfig.Etcd.External.Endpoints) > 0 {
		return b, nil
	}
	if b.etcdCA, err = readKeyPair(files, path.Join(dir, "etcd", "ca.crt"), path.Join(dir, "etcd", "ca.key")); err != nil {
		return nil, errors.Wrap(err, "cannot read the etcd CA")
	}
	return b, nil
}

// parseJoin reads the JoinConfiguration of a joining machine.
func parseJoin(cfg string, files map[string]string) (*bootData, error) {
	docs, err := kubeadmDocuments(cfg)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot read %s", joinConfigPath)
	}
	if docs["JoinConfiguration"] == "" {
		return nil, errors.Errorf("%s has no JoinConfiguration", joinConfigPath)
	}
	jc, err := kubeadmtypes.UnmarshalJoinConfiguration(docs["JoinConfiguration"])
	if err != nil {
		return nil, errors.Wrapf(err, "cannot decode the JoinConfiguration in %s", joinConfigPath)
	}
	b := &bootData{
		role:     roleWorker,
		nodeName: jc.NodeRegistration.Name,
		taints:   jc.NodeRegistration.Taints,
	}
	ep := jc.Discovery.BootstrapToken.APIServerEndpoint
	if ep == "" {
		return nil, errors.Errorf("JoinConfiguration.discovery.bootstrapToken.apiServerEndpoint is empty in %s (only bootstrap token discovery is supported)", joinConfigPath)
	}
	if b.endpoint, err = withDefaultPort(ep, defaultAPIPort); err != nil {
		return nil, errors.Wrapf(err, "invalid JoinConfiguration.discovery.bootstrapToken.apiServerEndpoint in %s", joinConfigPath)
	}
	if jc.ControlPlane == nil {
		return b, nil
	}

	b.role = roleJoinControlPlane
	dir := defaultCertsDir
	if jc.CACertPath != "" {
		dir = path.Dir(jc.CACertPath)
	}
	if b.clusterCA, err = readKeyPair(files, path.Join(dir, "ca.crt"), path.Join(dir, "ca.key")); err != nil {
		return nil, errors.Wrap(err, "cannot read the cluster CA")
	}
	etcdCert, etcdKey := path.Join(dir, "etcd", "ca.crt"), path.Join(dir, "etcd", "ca.key")
	if _, ok := files[etcdKey]; !ok {
		// NOTE: with external etcd kubeadm gets no etcd CA key, and runs no etcd member.
		return b, nil
	}
	if b.etcdCA, err = readKeyPair(files, etcdCert, etcdKey); err != nil {
		return nil, errors.Wrap(err, "cannot read the etcd CA")
	}
	return b, nil
}

// kubeadmDocuments splits a kubeadm configuration file into its YAML documents, by kind.
func kubeadmDocuments(cfg string) (map[string]string, error) {
	docs := map[string]string{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(cfg)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, errors.Wrap(err, "invalid YAML document")
		}
		if u.GetKind() == "" {
			continue
		}
		docs[u.GetKind()] = string(doc)
	}
}

// withDefaultPort returns host:port, adding port when endpoint has none, as kubeadm does.
func withDefaultPort(endpoint string, port int32) (string, error) {
	host, p, err := net.SplitHostPort(endpoint)
	if err != nil {
		// NOTE: SplitHostPort fails on a bare host; kubeadm then uses the bind port.
		var addrErr *net.AddrError
		if errors.As(err, &addrErr) && strings.HasPrefix(addrErr.Err, "missing port") {
			return net.JoinHostPort(strings.Trim(endpoint, "[]"), strconv.Itoa(int(port))), nil
		}
		return "", err
	}
	if host == "" {
		return "", errors.Errorf("%q has no host", endpoint)
	}
	if _, err := strconv.ParseUint(p, 10, 16); err != nil {
		return "", errors.Errorf("%q has an invalid port", endpoint)
	}
	return endpoint, nil
}

// readKeyPair decodes a PEM certificate and key written by the user data.
func readKeyPair(files map[string]string, certPath, keyPath string) (*keyPair, error) {
	certPEM, ok := files[certPath]
	if !ok {
		return nil, errors.Errorf("user data does not write %s", certPath)
	}
	keyPEM, ok := files[keyPath]
	if !ok {
		return nil, errors.Errorf("user data does not write %s", keyPath)
	}
	cert, err := certs.DecodeCertPEM([]byte(certPEM))
	if err != nil || cert == nil {
		return nil, errors.Errorf("%s is not a PEM certificate", certPath)
	}
	key, err := certs.DecodePrivateKeyPEM([]byte(keyPEM))
	if err != nil {
		return nil, errors.Errorf("%s is not a PEM private key", keyPath)
	}
	return &keyPair{cert: cert, key: key}, nil
}
