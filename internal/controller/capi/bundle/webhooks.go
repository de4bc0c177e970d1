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
	"strconv"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/cert"
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

// webhookConfigurations returns upstream's webhook configurations merged into one mutating and
// one validating configuration that reach the webhooks at https://host:port<path> and trust
// caBundle: the API server calls the bundle in this process, not an in-cluster Service.
func webhookConfigurations(host string, port int, caBundle []byte) (*admissionv1.MutatingWebhookConfiguration, *admissionv1.ValidatingWebhookConfiguration, error) {
	mut := &admissionv1.MutatingWebhookConfiguration{}
	mut.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("MutatingWebhookConfiguration"))
	mut.SetName(WebhookConfigurationName)
	val := &admissionv1.ValidatingWebhookConfiguration{}
	val.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("ValidatingWebhookConfiguration"))
	val.SetName(WebhookConfigurationName)

	base := "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	clientConfig := func(in admissionv1.WebhookClientConfig) admissionv1.WebhookClientConfig {
		path := ""
		if in.Service != nil && in.Service.Path != nil {
			path = *in.Service.Path
		}
		url := base + path
		return admissionv1.WebhookClientConfig{URL: &url, CABundle: caBundle}
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
					mut.Webhooks = append(mut.Webhooks, w)
				}
			case "ValidatingWebhookConfiguration":
				in := &admissionv1.ValidatingWebhookConfiguration{}
				if err := yaml.UnmarshalStrict(doc, in); err != nil {
					return nil, nil, errors.Wrapf(err, "%s %s", errParseWebhooks, n)
				}
				for _, w := range in.Webhooks {
					w.ClientConfig = clientConfig(w.ClientConfig)
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
func applyWebhookConfigurations(ctx context.Context, c client.Client, host string, port int, caBundle []byte) error {
	mut, val, err := webhookConfigurations(host, port, caBundle)
	if err != nil {
		return err
	}
	if err := capi.Apply(ctx, c, mut); err != nil {
		return err
	}
	return capi.Apply(ctx, c, val)
}
