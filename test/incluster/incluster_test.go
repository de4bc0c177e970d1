/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package incluster checks the provider as Crossplane runs it in a cluster, where the API server
// cannot reach a pod's loopback: Crossplane's own Deployment runtime installs the provider
// package and provisions its Service and serving certificate, and the API server calls the
// bundled Cluster API webhooks through that Service.
package incluster

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/capstan-dev/capstan/internal/childproc"
	"github.com/capstan-dev/capstan/internal/controller/capi/bundle"
	"github.com/capstan-dev/capstan/internal/localplane"
	"github.com/capstan-dev/capstan/internal/registry"
	"github.com/capstan-dev/capstan/internal/stack"
	"github.com/capstan-dev/capstan/internal/xpcore"
)

// root is the repository root, relative to this package.
const root = "../.."

// An invalid Cluster: the validating webhook refuses a topology version that is not semantic.
const invalidCluster = `
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: not-a-version, namespace: default}
spec:
  topology:
    classRef: {name: any}
    version: not-a-version
`

func TestIntegrationWebhooksThroughCrossplanesService(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the management plane and Crossplane binaries (make tools) and the packages (make build)")
	}
	// EndpointSlices refuse loopback addresses: the API server must call a real interface.
	hostIP := nonLoopbackIPv4(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	plane, err := localplane.Start(ctx, localplane.Options{})
	if err != nil {
		t.Fatalf("localplane.Start: %v", err)
	}
	t.Cleanup(func() { _ = plane.Stop() })
	dir := t.TempDir()
	reg, err := registry.Start(filepath.Join(dir, "registry"))
	if err != nil {
		t.Fatalf("registry.Start: %v", err)
	}
	t.Cleanup(func() { _ = reg.Stop() })
	files, _ := filepath.Glob(filepath.Join(root, "_output", "xpkg", stack.ProviderPackage+"-*.xpkg"))
	ref, err := reg.Push(ctx, "capstan/"+stack.ProviderPackage, stack.DefaultVersion, files...)
	if err != nil {
		t.Fatalf("push the provider package (make build writes it): %v", err)
	}

	// Crossplane runs providers as it does in a cluster: Deployments, Services and certificates.
	core, err := xpcore.Start(ctx, xpcore.Options{
		Binary:         filepath.Join(os.Getenv(localplane.AssetsEnv), xpcore.BinaryName),
		Kubeconfig:     plane.KubeconfigPath,
		Dir:            filepath.Join(dir, "crossplane"),
		PackageRuntime: "Provider=Deployment;Function=External",
		CABundle:       reg.CABundle,
	})
	if err != nil {
		t.Fatalf("xpcore.Start: %v", err)
	}
	t.Cleanup(func() { _ = core.Stop() })
	kube, err := stack.NewClient(plane.Config)
	if err != nil {
		t.Fatal(err)
	}
	// Crossplane's Deployment runtime copies the image pull secrets of core's own
	// ServiceAccount, which a Helm install creates.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: xpcore.Namespace, Name: "crossplane"}}
	if err := kube.Create(ctx, sa); err != nil {
		t.Fatalf("create Crossplane's ServiceAccount: %v", err)
	}
	p := &pkgv1.Provider{ObjectMeta: metav1.ObjectMeta{Name: stack.ProviderName}}
	p.Spec.Package = ref.String()
	if err := kube.Create(ctx, p); err != nil {
		t.Fatalf("create Provider: %v", err)
	}

	// What Crossplane's runtime provisions for the provider's pod, which never runs here.
	svc, secret := &corev1.Service{}, &corev1.Secret{}
	poll(ctx, t, "Crossplane to provision the provider's Service and serving certificate", func(ctx context.Context) (bool, error) {
		if err := kube.Get(ctx, client.ObjectKey{Namespace: xpcore.Namespace, Name: stack.ProviderName}, svc); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		name := *pkgv1.GetSecretNameWithSuffix(stack.ProviderName, pkgv1.TLSServerSecretNameSuffix)
		if err := kube.Get(ctx, client.ObjectKey{Namespace: xpcore.Namespace, Name: name}, secret); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return len(secret.Data["tls.crt"]) > 0, nil
	})
	certs := filepath.Join(dir, "tls-server")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range secret.Data {
		if err := os.WriteFile(filepath.Join(certs, k), v, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The pod, played by the binary its runtime image ships, with the environment Crossplane
	// gives it and the certificate mounted; the Service's endpoint is this machine.
	port := freePort(t)
	bin := filepath.Join(root, "_output", "bin", "linux_"+runtime.GOARCH, "provider")
	cmd := exec.Command(bin, "--kubeconfig="+plane.KubeconfigPath, "--webhook-port="+strconv.Itoa(port), //nolint:gosec // the binary make build writes.
		"--metrics-address=0", "--health-probe-address=0")
	cmd.Env = append(os.Environ(), "TLS_SERVER_CERTS_DIR="+certs, "PROVIDER_NAME="+stack.ProviderName, "POD_NAMESPACE="+xpcore.Namespace)
	logPath := filepath.Join(dir, "provider.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := childproc.Start("provider", cmd, log)
	if err != nil {
		t.Fatalf("start the provider: %v", err)
	}
	t.Cleanup(func() {
		_ = proc.Stop()
		_ = log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("provider log:\n%s", b)
		}
	})
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: xpcore.Namespace, Name: stack.ProviderName + "-test", Labels: map[string]string{
			discoveryv1.LabelServiceName: svc.Name,
			discoveryv1.LabelManagedBy:   "capstan-test",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{hostIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("webhook"), Port: ptr.To(int32(port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if err := kube.Create(ctx, slice); err != nil {
		t.Fatalf("create the EndpointSlice: %v", err)
	}

	vwc := &admissionv1.ValidatingWebhookConfiguration{}
	poll(ctx, t, "the provider to register the webhooks", func(ctx context.Context) (bool, error) {
		err := kube.Get(ctx, client.ObjectKey{Name: bundle.WebhookConfigurationName}, vwc)
		return err == nil, client.IgnoreNotFound(err)
	})
	for _, w := range vwc.Webhooks {
		s := w.ClientConfig.Service
		if w.ClientConfig.URL != nil || s == nil || s.Name != svc.Name || s.Namespace != svc.Namespace || ptr.Deref(s.Port, 0) != 9443 {
			t.Errorf("webhook %s: client config %+v, want the provider's Service %s/%s:9443", w.Name, w.ClientConfig, svc.Namespace, svc.Name)
		}
	}

	// The API server calls the webhooks through the Service, verifying Crossplane's certificate:
	// the mutating webhook defaults the version's "v" prefix, the validating one refuses it.
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(invalidCluster), &u.Object); err != nil {
		t.Fatal(err)
	}
	var last error
	poll(ctx, t, "the API server to refuse an invalid Cluster through the webhook", func(ctx context.Context) (bool, error) {
		last = kube.Create(ctx, u.DeepCopy())
		return last != nil && strings.Contains(last.Error(), `admission webhook "validation.cluster.cluster.x-k8s.io" denied the request`) &&
			strings.Contains(last.Error(), `"vnot-a-version"`), nil
	})
	t.Logf("refused through the Service: %v", last)
}

// nonLoopbackIPv4 returns an IPv4 address of this machine that is not loopback or link-local.
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address for an EndpointSlice")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := childproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func poll(ctx context.Context, t *testing.T, what string, cond wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
