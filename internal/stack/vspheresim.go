/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud/vsphere/vcsim"
	"github.com/capstan-dev/capstan/internal/xpcore"
)

// VSphereSimProviderConfigName is the ClusterProviderConfig of the simulated vCenter: claims that
// name it get their machines as VMs there.
const VSphereSimProviderConfigName = "vsphere-sim"

// VSphereSimAddresses are the control-plane virtual IPs of the simulated vCenter's clusters:
// loopback addresses, which the simulated guests' kube-vip binds on this host.
var VSphereSimAddresses = []string{"127.0.10.1-127.0.10.254"}

const (
	vsphereSimUser   = "capstan"
	vsphereSimSecret = "vsphere-sim-credentials"
	errVSphereSim    = "cannot start the simulated vCenter %s"
)

// startVSphereSim runs the simulated vCenter on a free loopback port, the same one when it is
// started again, and returns once it serves (it writes its certificate then).
func (s *Stack) startVSphereSim(ctx context.Context, o Options) (process, error) {
	if s.vsphereSim.address == "" {
		addr, err := freeAddress()
		if err != nil {
			return nil, err
		}
		s.vsphereSim.address, s.vsphereSim.password = addr, rand.Text()
		s.vsphereSim.caFile = filepath.Join(o.Dir, "vsphere-sim-ca.pem")
	}
	_ = os.Remove(s.vsphereSim.caFile) // a stale one would say it serves before it does
	out, err := s.log(o, "vsphere-sim")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.VSphereSimBinary, "--address="+s.vsphereSim.address, "--username="+vsphereSimUser, "--ca-file="+s.vsphereSim.caFile) //nolint:gosec // the binary is the one the caller chose to run.
	cmd.Env = append(os.Environ(), "VSPHERE_SIM_PASSWORD="+s.vsphereSim.password)
	p, err := s.startReady(ctx, "vsphere-sim", cmd, out, s.vsphereSim.caFile, func(context.Context) bool {
		_, err := os.Stat(s.vsphereSim.caFile)
		return err == nil
	})
	return p, errors.Wrapf(err, errVSphereSim, o.VSphereSimBinary)
}

// vsphereSimProviderConfig creates the ClusterProviderConfig of the simulated vCenter and the
// Secret holding its credentials.
func (s *Stack) vsphereSimProviderConfig(ctx context.Context) error {
	ca, err := os.ReadFile(s.vsphereSim.caFile)
	if err != nil {
		return errors.Wrap(err, "cannot read the simulated vCenter's certificate")
	}
	creds, err := json.Marshal(map[string]string{"username": vsphereSimUser, "password": s.vsphereSim.password})
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: xpcore.Namespace, Name: vsphereSimSecret},
		Data:       map[string][]byte{"credentials": creds},
	}
	driver := vcsim.DriverConfig("https://"+s.vsphereSim.address+"/sdk", string(ca), VSphereSimAddresses...)
	pc := &v1alpha1.ClusterProviderConfig{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "ClusterProviderConfig"},
		ObjectMeta: metav1.ObjectMeta{Name: VSphereSimProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Driver: v1alpha1.DriverConfig{VSphere: &driver},
			Credentials: v1alpha1.ProviderCredentials{
				Source: xpv2.CredentialsSourceSecret,
				CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: secret.Namespace, Name: secret.Name},
					Key:             "credentials",
				}},
			},
		},
	}
	for _, o := range []client.Object{secret, pc} {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return err
		}
		if err := apply(ctx, s.Client, &unstructured.Unstructured{Object: m}); err != nil {
			return errors.Wrapf(err, "cannot apply %T %s", o, o.GetName())
		}
	}
	return nil
}
