/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bundle

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"embed"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/cert"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/controller/capi"
)

//go:generate sh copy-webhooks.sh

//go:embed webhooks/*.yaml
var webhookFiles embed.FS

// WebhookConfigurationName names the one MutatingWebhookConfiguration and the one
// ValidatingWebhookConfiguration that register every bundled Cluster API webhook.
const WebhookConfigurationName = "capstan-cluster-api"

const (
	errServingCert    = "cannot generate the webhook serving certificate"
	errReadWebhooks   = "cannot read embedded webhook configurations"
	errParseWebhooks  = "cannot parse embedded webhook configuration"
	errUnknownWebhook = "embedded webhook configuration has an unexpected kind"
	errFreePort       = "cannot find a free port for the webhook server"
	errReadCA         = "cannot read the CA of the webhook serving certificate"

	// caCertFile is the CA beside a serving certificate in the directory Crossplane mounts into
	// a provider's pod.
	caCertFile = "ca.crt"
)

// servingCert is a self-signed serving certificate for host, and the CA bundle the API server
// verifies it with.
type servingCert struct {
	cert     tls.Certificate
	caBundle []byte
}

func newServingCert(host string) (*servingCert, error) {
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = append(ips, ip)
	}
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey(host, ips, []string{"localhost"})
	if err != nil {
		return nil, errors.Wrap(err, errServingCert)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, errors.Wrap(err, errServingCert)
	}
	// NOTE: certPEM holds the serving certificate followed by the CA that signed it, so it is
	// also the bundle the API server verifies the chain with.
	return &servingCert{cert: c, caBundle: certPEM}, nil
}

// loopbackWebhooks serves the webhooks on host:port with a certificate of their own, and reaches
// them by URL.
func loopbackWebhooks(host string, port int) (webhook.Server, endpoint, error) {
	sc, err := newServingCert(host)
	if err != nil {
		return nil, endpoint{}, err
	}
	url := "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	return newWebhookServer(host, port, sc), endpoint{url: url, caBundle: sc.caBundle}, nil
}

// inClusterWebhooks serves the webhooks on every interface at port with the certificate in
// ic.CertDir, reloaded when it is renewed, and reaches them through ic's Service, trusting the
// CA beside the certificate.
func inClusterWebhooks(port int, ic InCluster) (webhook.Server, endpoint, error) {
	ca, err := os.ReadFile(filepath.Join(ic.CertDir, caCertFile))
	if err != nil {
		return nil, endpoint{}, errors.Wrap(err, errReadCA)
	}
	srv := webhook.NewServer(webhook.Options{
		Port: port, CertDir: ic.CertDir, CertName: corev1.TLSCertKey, KeyName: corev1.TLSPrivateKeyKey,
	})
	svc := &admissionv1.ServiceReference{Namespace: ic.ServiceNamespace, Name: ic.ServiceName, Port: ptr.To(ic.ServicePort)}
	return srv, endpoint{service: svc, caBundle: ca}, nil
}

// newWebhookServer returns the one webhook server every bundled manager registers its webhooks
// with, serving sc on host:port.
func newWebhookServer(host string, port int, sc *servingCert) webhook.Server {
	return webhook.NewServer(webhook.Options{
		Host: host,
		Port: port,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &sc.cert, nil }
		}},
	})
}

// sharedWebhookServer lets several managers register webhooks on one server that none of them
// starts: each manager starts the webhook server it is given, and one port can be bound once.
type sharedWebhookServer struct {
	webhook.Server
}

// Start does nothing until ctx is done; the bundle starts the real server.
func (sharedWebhookServer) Start(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// freePort asks the kernel for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, errors.Wrap(err, errFreePort)
	}
	// NOTE: only the port number is needed.
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// endpoint is how the API server reaches the webhook server: at a URL (loopback, for a provider
// run beside its API server), or through a Service (in a cluster).
type endpoint struct {
	url      string
	service  *admissionv1.ServiceReference
	caBundle []byte
}

// clientConfig reaches the webhook at path.
func (e endpoint) clientConfig(path string) admissionv1.WebhookClientConfig {
	if e.service != nil {
		svc := *e.service
		svc.Path = &path
		return admissionv1.WebhookClientConfig{Service: &svc, CABundle: e.caBundle}
	}
	url := e.url + path
	return admissionv1.WebhookClientConfig{URL: &url, CABundle: e.caBundle}
}

// skipNoOpUpdates calls a webhook for every request but an update that changes nothing: the
// object as it would be stored is the stored one. Such an update writes nothing, so defaulting
// and validating it again cannot change what is stored, and Crossplane re-applies every composed
// resource of a claim on each of its reconciles: with 40 claims provisioning, over half of some
// 14,000 webhook calls were of updates like these, each a round trip of two copies of the object.
var skipNoOpUpdates = admissionv1.MatchCondition{
	Name:       "capstan.dev/skip-no-op-updates",
	Expression: "request.operation != 'UPDATE' || object != oldObject",
}

// webhookConfigurations returns upstream's webhook configurations merged into one mutating and
// one validating configuration that reach every webhook at its upstream path through e.
func webhookConfigurations(e endpoint) (*admissionv1.MutatingWebhookConfiguration, *admissionv1.ValidatingWebhookConfiguration, error) {
	mut := &admissionv1.MutatingWebhookConfiguration{}
	mut.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("MutatingWebhookConfiguration"))
	mut.SetName(WebhookConfigurationName)
	val := &admissionv1.ValidatingWebhookConfiguration{}
	val.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("ValidatingWebhookConfiguration"))
	val.SetName(WebhookConfigurationName)

	clientConfig := func(in admissionv1.WebhookClientConfig) admissionv1.WebhookClientConfig {
		path := ""
		if in.Service != nil && in.Service.Path != nil {
			path = *in.Service.Path
		}
		return e.clientConfig(path)
	}

	names, err := fs.Glob(webhookFiles, "webhooks/*.yaml")
	if err != nil {
		return nil, nil, errors.Wrap(err, errReadWebhooks)
	}
	for _, n := range names {
		b, err := webhookFiles.ReadFile(n)
		if err != nil {
			return nil, nil, errors.Wrap(err, errReadWebhooks)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, nil, errors.Wrapf(err, "%s %s", errParseWebhooks, n)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			kind := struct {
				Kind string `json:"kind"`
			}{}
			if err := yaml.Unmarshal(doc, &kind); err != nil {
				return nil, nil, errors.Wrapf(err, "%s %s", errParseWebhooks, n)
			}
			switch kind.Kind {
			case "MutatingWebhookConfiguration":
				in := &admissionv1.MutatingWebhookConfiguration{}
				if err := yaml.UnmarshalStrict(doc, in); err != nil {
					return nil, nil, errors.Wrapf(err, "%s %s", errParseWebhooks, n)
				}
				for _, w := range in.Webhooks {
					w.ClientConfig = clientConfig(w.ClientConfig)
					w.MatchConditions = append(w.MatchConditions, skipNoOpUpdates)
					mut.Webhooks = append(mut.Webhooks, w)
				}
			case "ValidatingWebhookConfiguration":
				in := &admissionv1.ValidatingWebhookConfiguration{}
				if err := yaml.UnmarshalStrict(doc, in); err != nil {
					return nil, nil, errors.Wrapf(err, "%s %s", errParseWebhooks, n)
				}
				for _, w := range in.Webhooks {
					w.ClientConfig = clientConfig(w.ClientConfig)
					w.MatchConditions = append(w.MatchConditions, skipNoOpUpdates)
					val.Webhooks = append(val.Webhooks, w)
				}
			default:
				return nil, nil, errors.Errorf("%s %s: %q", errUnknownWebhook, n, kind.Kind)
			}
		}
	}
	return mut, val, nil
}

// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations;validatingwebhookconfigurations,verbs=create
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations;validatingwebhookconfigurations,resourceNames=capstan-cluster-api,verbs=get;patch

// applyWebhookConfigurations registers the bundled webhooks with the API server.
func applyWebhookConfigurations(ctx context.Context, c client.Client, e endpoint) error {
	mut, val, err := webhookConfigurations(e)
	if err != nil {
		return err
	}
	if err := capi.Apply(ctx, c, mut); err != nil {
		return err
	}
	return capi.Apply(ctx, c, val)
}
