/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package xpcore

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Key names of a TLS certificates directory, as core's --tls-client-certs-dir and function-sdk-go's
// --tls-server-certs-dir read it.
const (
	caCertFile = "ca.crt"
	certFile   = corev1.TLSCertKey
	keyFile    = corev1.TLSPrivateKeyKey

	certValidity = 365 * 24 * time.Hour
)

const (
	errGetSecret  = "cannot get Secret %s/%s"
	errEmptyKey   = "Secret %s/%s has no %q"
	errWriteCerts = "cannot write certificates to %s"
	errParseCA    = "cannot parse Crossplane's root CA"
	errSign       = "cannot sign a server certificate"
)

// writeClientCerts writes the client certificate `core init` issued to core into dir.
func writeClientCerts(ctx context.Context, kube client.Client, dir string) error {
	s, err := secret(ctx, kube, clientSecretName, caCertFile, certFile, keyFile)
	if err != nil {
		return err
	}
	return writeDir(dir, map[string][]byte{caCertFile: s.Data[caCertFile], certFile: s.Data[certFile], keyFile: s.Data[keyFile]})
}

// WriteServerCerts writes into dir a server certificate for 127.0.0.1 and localhost, signed by
// Crossplane's root CA, with that CA: what a function served with --tls-server-certs-dir=dir needs
// for core to reach it (core always dials functions with mutual TLS). Run it after Start.
func WriteServerCerts(ctx context.Context, kube client.Client, dir string) error {
	s, err := secret(ctx, kube, caSecretName, certFile, keyFile)
	if err != nil {
		return err
	}
	ca, caKey, err := parseCA(s.Data[certFile], s.Data[keyFile])
	if err != nil {
		return errors.Wrap(err, errParseCA)
	}
	crt, key, err := sign(ca, caKey)
	if err != nil {
		return errors.Wrap(err, errSign)
	}
	return writeDir(dir, map[string][]byte{caCertFile: s.Data[certFile], certFile: crt, keyFile: key})
}

// secret gets a Secret in Namespace and checks it holds every key.
func secret(ctx context.Context, kube client.Client, name string, keys ...string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: Namespace, Name: name}, s); err != nil {
		return nil, errors.Wrapf(err, errGetSecret, Namespace, name)
	}
	for _, k := range keys {
		if len(s.Data[k]) == 0 {
			return nil, errors.Errorf(errEmptyKey, Namespace, name, k)
		}
	}
	return s, nil
}

// parseCA parses a PEM CA certificate and its PKCS#1 or PKCS#8 key.
func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("no PEM block")
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(kb.Bytes); err == nil {
		return ca, k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("CA key cannot sign")
	}
	return ca, signer, nil
}

// sign issues a loopback server certificate from ca and returns it and its key in PEM.
func sign(ca *x509.Certificate, caKey crypto.Signer) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "capstan-function"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// writeDir writes files into dir, readable by this user only.
func writeDir(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errors.Wrapf(err, errWriteCerts, dir)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return errors.Wrapf(err, errWriteCerts, dir)
		}
	}
	return nil
}
