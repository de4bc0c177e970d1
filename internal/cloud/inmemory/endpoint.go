/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package inmemory

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/sets"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	inmemoryapi "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server/api"
	inmemoryetcd "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server/etcd"
	"sigs.k8s.io/cluster-api/util/certs"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	readHeaderTimeout = 10 * time.Second
	versionPath       = "/version"
)

// endpoint serves one load balancer's port: the workload cluster's kube-apiserver and the etcd
// members behind it, with serving certificates minted from the CAs the control plane machines
// booted with. The API and etcd handlers are the in-memory library's; the listener, the TLS
// setup and /version are ours (see doc.go for why).
type endpoint struct {
	host          string
	port          int32
	resourceGroup string
	manager       inmemoryruntime.Manager
	servingKey    crypto.Signer
	log           logr.Logger

	srv  *http.Server
	ln   *trackingListener
	done chan struct{}

	mu          sync.RWMutex
	clusterCA   *keyPair
	etcdCA      *keyPair
	apiServing  *tls.Certificate
	apiServers  sets.Set[string]
	etcdServing map[string]*tls.Certificate
	// version is the Kubernetes version the init machine named; the kubeadm-config ConfigMap
	// overrides it once KCP upgrades the cluster.
	version string
}

// newEndpoint starts serving TLS on ln. Until a control plane machine boots behind it, every TLS
// handshake fails: a load balancer with no backend in service.
func newEndpoint(ln net.Listener, host string, port int32, resourceGroup string, m inmemoryruntime.Manager, key crypto.Signer, log logr.Logger) *endpoint {
	e := &endpoint{
		host:          host,
		port:          port,
		resourceGroup: resourceGroup,
		manager:       m,
		servingKey:    key,
		log:           log,
		ln:            newTrackingListener(ln),
		done:          make(chan struct{}),
		apiServers:    sets.New[string](),
		etcdServing:   map[string]*tls.Certificate{},
	}
	resolve := func(string) (string, error) { return resourceGroup, nil }
	api := inmemoryapi.NewAPIServerHandler(m, log, resolve)
	etcd := inmemoryetcd.NewEtcdServerHandler(m, log, resolve)
	e.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc"):
				etcd.ServeHTTP(w, r)
			case r.URL.Path == versionPath && r.Method == http.MethodGet:
				e.serveVersion(w, r)
			case wantsTable(r):
				serveTable(api, w, r)
			default:
				api.ServeHTTP(w, r)
			}
		}),
		TLSConfig: &tls.Config{
			GetConfigForClient: e.tlsConfig,
			MinVersion:         tls.VersionTLS12,
		},
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          logWriter(log),
	}
	go func() {
		defer close(e.done)
		if err := e.srv.ServeTLS(e.ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "load balancer listener stopped", "address", e.ln.Addr().String())
		}
	}()
	return e
}

// close stops the listener and every connection, hijacked ones (watches, port forwards) too,
// so it never waits on a client; the port is free when it returns.
func (e *endpoint) close() {
	_ = e.srv.Close()
	e.ln.closeAll()
	<-e.done
}

// tlsConfig is the TLS configuration of one handshake. Like kube-apiserver and etcd, the endpoint
// serves only clients with a certificate of the cluster's CA (the etcd CA, for an etcd member):
// another cluster's kubeconfig, or none, is refused.
func (e *endpoint) tlsConfig(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	e.mu.RLock()
	ca := e.clusterCA
	if _, ok := e.etcdServing[hello.ServerName]; ok {
		ca = e.etcdCA
	}
	e.mu.RUnlock()
	if ca == nil {
		return nil, errors.Errorf("no control plane instance serves behind load balancer %s", e.address())
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return &tls.Config{
		GetCertificate: e.certificate,
		ClientAuth:     tls.RequireAndVerifyClientCert,
		ClientCAs:      pool,
		// NOTE: this replaces the server's configuration, with the protocols net/http adds to it:
		// etcd's gRPC needs HTTP/2.
		NextProtos: []string{"h2", "http/1.1"},
		MinVersion: tls.VersionTLS12,
	}, nil
}

// certificate picks the serving certificate of a TLS handshake: an etcd member's when the client
// names that member (KCP does, through a port forward), the API server's otherwise.
func (e *endpoint) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if c, ok := e.etcdServing[hello.ServerName]; ok {
		return c, nil
	}
	if e.apiServing == nil {
		return nil, errors.Errorf("no control plane instance serves behind load balancer %s", e.address())
	}
	return e.apiServing, nil
}

func (e *endpoint) address() string {
	return net.JoinHostPort(e.host, itoa(e.port))
}

// hasControlPlane reports whether an API server serves behind the endpoint.
func (e *endpoint) hasControlPlane() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.apiServers.Len() > 0
}

// kubernetesVersion is the version the init machine named.
func (e *endpoint) kubernetesVersion() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.version
}

// acceptsCA returns an error unless a control plane machine with this cluster CA can serve here:
// the first brings the CA, later ones must carry the same, as kubeadm join requires.
func (e *endpoint) acceptsCA(ca *keyPair) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.acceptsCALocked(ca)
}

func (e *endpoint) acceptsCALocked(ca *keyPair) error {
	if e.clusterCA != nil && !bytes.Equal(e.clusterCA.cert.Raw, ca.cert.Raw) {
		return errors.Errorf("the cluster CA in the user data is not the CA of the cluster served at %s", e.address())
	}
	return nil
}

// addAPIServer puts an API server instance behind the endpoint. The first one brings the serving
// certificate; later ones must carry the same cluster CA, as kubeadm join requires.
func (e *endpoint) addAPIServer(pod string, ca *keyPair, sans []string, kubernetesVersion string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.acceptsCALocked(ca); err != nil {
		return err
	}
	if e.apiServing == nil {
		c, err := e.newServingCert(ca, apiServerCertConfig(e.host, sans))
		if err != nil {
			return errors.Wrap(err, "cannot mint the API server serving certificate")
		}
		e.clusterCA, e.apiServing = ca, c
	}
	if kubernetesVersion != "" {
		e.version = kubernetesVersion
	}
	e.apiServers.Insert(pod)
	return nil
}

// removeAPIServer takes an API server instance away. With none left the cluster keeps its
// content but no handshake succeeds, like a load balancer with no backend in service.
func (e *endpoint) removeAPIServer(pod string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apiServers.Delete(pod)
	if e.apiServers.Len() == 0 {
		e.apiServing, e.clusterCA = nil, nil
	}
}

// addEtcdMember gives an etcd member its own serving certificate, minted from the etcd CA.
func (e *endpoint) addEtcdMember(pod string, ca *keyPair) error {
	c, err := e.newServingCert(ca, etcdCertConfig(pod, e.host))
	if err != nil {
		return errors.Wrapf(err, "cannot mint the serving certificate of etcd member %s", pod)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.etcdServing[pod] = c
	if e.etcdCA == nil {
		e.etcdCA = ca
	}
	return nil
}

func (e *endpoint) removeEtcdMember(pod string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.etcdServing, pod)
	if len(e.etcdServing) == 0 {
		e.etcdCA = nil
	}
}

func (e *endpoint) newServingCert(ca *keyPair, cfg *certs.Config) (*tls.Certificate, error) {
	cert, err := cfg.NewSignedCert(e.servingKey, ca.cert, ca.key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: e.servingKey, Leaf: cert}, nil
}

// serveVersion answers /version as kube-apiserver does, with the version the cluster runs: the
// kubeadm-config ConfigMap's (KCP rewrites it on upgrade), else the init machine's.
func (e *endpoint) serveVersion(w http.ResponseWriter, r *http.Request) {
	v, err := clusterKubernetesVersion(r.Context(), e.manager.GetResourceGroup(e.resourceGroup).GetClient())
	if err != nil || v == "" {
		v = e.kubernetesVersion()
	}
	info, err := versionInfo(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}

// versionInfo is the /version answer of a kube-apiserver at version v.
func versionInfo(v string) (*version.Info, error) {
	parsed, err := utilversion.ParseGeneric(v)
	if err != nil {
		return nil, errors.Errorf("the cluster's Kubernetes version %q is not a version", v)
	}
	return &version.Info{
		Major:        itoa(int32(parsed.Major())),
		Minor:        itoa(int32(parsed.Minor())),
		GitVersion:   "v" + strings.TrimPrefix(v, "v"),
		GitTreeState: "clean",
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     "linux/amd64",
	}, nil
}

// apiServerCertConfig is kube-apiserver's serving certificate, valid for the load balancer's host
// and the names kubeadm adds.
func apiServerCertConfig(host string, sans []string) *certs.Config {
	names := certs.AltNames{
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:      []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, n := range append([]string{host}, sans...) {
		if ip := net.ParseIP(n); ip != nil {
			names.IPs = append(names.IPs, ip)
			continue
		}
		names.DNSNames = append(names.DNSNames, n)
	}
	return &certs.Config{CommonName: "kube-apiserver", AltNames: names, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

// etcdCertConfig is an etcd member's serving certificate; KCP names the member's pod as the
// TLS server name.
func etcdCertConfig(pod, host string) *certs.Config {
	names := certs.AltNames{
		DNSNames: []string{"localhost", pod},
		IPs:      []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.ParseIP(host)},
	}
	return &certs.Config{
		CommonName: pod,
		AltNames:   names,
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
}
