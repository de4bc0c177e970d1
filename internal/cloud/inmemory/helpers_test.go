/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"context"
	"crypto/x509"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver/v4"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/cloudinit"
	kubeadmtypes "sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types/upstream"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/secret"

	"github.com/capstan-dev/capstan/internal/cloud"
)

const (
	testVersion = "v1.35.0"
	testTimeout = 15 * time.Second
)

var testKubeadmVersion = semver.MustParse("1.35.0")

// clusterCerts are the CAs KCP generates for a cluster. Generating RSA keys is slow, so tests
// share one set; each test has its own load balancer, so clusters stay apart.
var clusterCerts = sync.OnceValue(func() secret.Certificates {
	c := secret.NewCertificatesForInitialControlPlane(&bootstrapv1.ClusterConfiguration{})
	if err := c.Generate(); err != nil {
		panic(err)
	}
	return c
})

// otherCerts are the CAs of a different cluster.
var otherCerts = sync.OnceValue(func() secret.Certificates {
	c := secret.NewCertificatesForInitialControlPlane(&bootstrapv1.ClusterConfiguration{})
	if err := c.Generate(); err != nil {
		panic(err)
	}
	return c
})

// initUserData is CABPK's bootstrap data for the first control plane machine of a cluster.
func initUserData(t testing.TB, endpoint string, cs secret.Certificates) []byte {
	t.Helper()
	clusterConfig, err := kubeadmtypes.MarshalClusterConfigurationForVersion(
		&bootstrapv1.ClusterConfiguration{ControlPlaneEndpoint: endpoint},
		testKubeadmVersion,
		&upstream.AdditionalData{KubernetesVersion: ptr.To(testVersion), ClusterName: ptr.To("test")},
	)
	if err != nil {
		t.Fatal(err)
	}
	ic, err := kubeadmtypes.MarshalInitConfigurationForVersion(&bootstrapv1.InitConfiguration{
		NodeRegistration: bootstrapv1.NodeRegistrationOptions{Name: "{{ ds.meta_data.local_hostname }}"},
	}, testKubeadmVersion)
	if err != nil {
		t.Fatal(err)
	}
	ud, err := cloudinit.NewInitControlPlane(&cloudinit.ControlPlaneInput{
		Certificates:         cs,
		ClusterConfiguration: clusterConfig,
		InitConfiguration:    ic,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ud
}

// joinControlPlaneUserData is CABPK's bootstrap data for a control plane machine joining.
func joinControlPlaneUserData(t testing.TB, endpoint string, cs secret.Certificates) []byte {
	t.Helper()
	jc := joinConfiguration(t, endpoint, &bootstrapv1.JoinControlPlane{})
	ud, err := cloudinit.NewJoinControlPlane(&cloudinit.ControlPlaneJoinInput{
		Certificates:      cs,
		BootstrapToken:    "abcdef.0123456789abcdef",
		JoinConfiguration: jc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ud
}

// workerUserData is CABPK's bootstrap data for a worker machine.
func workerUserData(t testing.TB, endpoint string) []byte {
	t.Helper()
	ud, err := cloudinit.NewNode(&cloudinit.NodeInput{JoinConfiguration: joinConfiguration(t, endpoint, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return ud
}

func joinConfiguration(t testing.TB, endpoint string, cp *bootstrapv1.JoinControlPlane) string {
	t.Helper()
	jc, err := kubeadmtypes.MarshalJoinConfigurationForVersion(&bootstrapv1.JoinConfiguration{
		ControlPlane: cp,
		Discovery: bootstrapv1.Discovery{BootstrapToken: bootstrapv1.BootstrapTokenDiscovery{
			APIServerEndpoint:        endpoint,
			Token:                    "abcdef.0123456789abcdef",
			UnsafeSkipCAVerification: ptr.To(true),
		}},
	}, testKubeadmVersion)
	if err != nil {
		t.Fatal(err)
	}
	return jc
}

// newTestCloud is a cloud with near-instant boots, closed when the test ends.
func newTestCloud(t *testing.T, o Options) *Cloud {
	t.Helper()
	if o.BootDelay == 0 {
		o.BootDelay = 10 * time.Millisecond
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// newTestLoadBalancer creates a load balancer and returns its endpoint (host:port).
func newTestLoadBalancer(t *testing.T, c *Cloud, id string) (*cloud.LoadBalancer, string) {
	t.Helper()
	lb, err := c.CreateLoadBalancer(context.Background(), id, cloud.LoadBalancerSpec{
		Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTCP}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return lb, net.JoinHostPort(lb.Host, strconv.Itoa(int(lb.Port)))
}

// waitForState waits for the instance to leave Provisioning and returns it.
func waitForState(t *testing.T, c *Cloud, id string, want cloud.InstanceState) *cloud.Instance {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		i, err := c.GetInstance(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if i.State == want {
			return i
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s: want state %s, got %s (%q)", id, want, i.State, i.Message)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// workloadClient reaches the workload cluster behind endpoint as a kubeconfig from CAPI would:
// verifying its serving certificate with the cluster CA, with an admin client certificate of it.
func workloadClient(t *testing.T, endpoint string, cs secret.Certificates) *kubernetes.Clientset {
	t.Helper()
	cfg := workloadConfig(t, endpoint, cs, cs)
	cfg.Timeout = 5 * time.Second
	cs2, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs2
}

// workloadConfig reaches the workload cluster behind endpoint, trusting the cluster CA of
// trusted, with a client certificate of the cluster CA of client.
func workloadConfig(t *testing.T, endpoint string, trusted, client secret.Certificates) *rest.Config {
	t.Helper()
	cert, key := clientCert(t, client, secret.ClusterCA)
	return &rest.Config{
		Host:            "https://" + endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: trusted.GetByPurpose(secret.ClusterCA).KeyPair.Cert, CertData: cert, KeyData: key},
	}
}

// clientCert is an admin client certificate, and its key, signed by the CA of purpose.
func clientCert(t *testing.T, cs secret.Certificates, purpose secret.Purpose) ([]byte, []byte) {
	t.Helper()
	kp := cs.GetByPurpose(purpose).KeyPair
	ca, err := certs.DecodeCertPEM(kp.Cert)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := certs.DecodePrivateKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certs.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &certs.Config{CommonName: "admin", Organization: []string{"system:masters"}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	cert, err := cfg.NewSignedCert(key, ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return certs.EncodeCertPEM(cert), certs.EncodePrivateKeyPEM(key)
}

// caPool is a pool holding the CA of purpose.
func caPool(t *testing.T, cs secret.Certificates, purpose secret.Purpose) *x509.CertPool {
	t.Helper()
	cert, err := certs.DecodeCertPEM(cs.GetByPurpose(purpose).KeyPair.Cert)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	p.AddCert(cert)
	return p
}
