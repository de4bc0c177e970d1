/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loadbalancer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/network/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/fake"
)

const (
	namespace = "team-a"
	name      = "api"
	id        = "team-a.api"
)

var errBoom = errors.New("boom")

type lbModifier func(*v1alpha1.LoadBalancer)

func withExternalName(n string) lbModifier {
	return func(cr *v1alpha1.LoadBalancer) { meta.SetExternalName(cr, n) }
}

func withInstanceIDs(ids ...string) lbModifier {
	return func(cr *v1alpha1.LoadBalancer) { cr.Spec.ForProvider.Backends.InstanceIDs = ids }
}

func withAddresses(as ...string) lbModifier {
	return func(cr *v1alpha1.LoadBalancer) { cr.Spec.ForProvider.Backends.Addresses = as }
}

func withHealthCheck(hc *v1alpha1.HealthCheck) lbModifier {
	return func(cr *v1alpha1.LoadBalancer) { cr.Spec.ForProvider.HealthCheck = hc }
}

func withConditions(c ...xpv2.Condition) lbModifier {
	return func(cr *v1alpha1.LoadBalancer) { cr.SetConditions(c...) }
}

func withAtProvider(o v1alpha1.LoadBalancerObservation) lbModifier {
	return func(cr *v1alpha1.LoadBalancer) { cr.Status.AtProvider = o }
}

// loadBalancer is a LoadBalancer with one TLS listener on 6443 and instance team-a.cp-0 as backend.
func loadBalancer(m ...lbModifier) *v1alpha1.LoadBalancer {
	cr := &v1alpha1.LoadBalancer{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1alpha1.LoadBalancerSpec{ForProvider: v1alpha1.LoadBalancerParameters{
			Listeners: []v1alpha1.Listener{{Port: 6443, Protocol: "TLS"}},
			Backends:  v1alpha1.Backends{InstanceIDs: []string{"team-a.cp-0"}},
		}},
	}
	for _, f := range m {
		f(cr)
	}
	return cr
}

type cloudModifier func(*cloud.LoadBalancer)

func withState(s cloud.LoadBalancerState, msg string) cloudModifier {
	return func(lb *cloud.LoadBalancer) { lb.State, lb.Message = s, msg }
}

func withBackends(bs ...cloud.Backend) cloudModifier {
	return func(lb *cloud.LoadBalancer) {
		lb.Spec.Backends = bs
		lb.Backends = nil
		for _, b := range bs {
			lb.Backends = append(lb.Backends, cloud.BackendStatus{Backend: b, Healthy: true})
		}
	}
}

// cloudLB is the active load balancer loadBalancer() asks for, on 127.0.0.1:20001.
func cloudLB(m ...cloudModifier) *cloud.LoadBalancer {
	lb := &cloud.LoadBalancer{
		ID:       id,
		Host:     "127.0.0.1",
		Port:     20001,
		State:    cloud.LoadBalancerStateActive,
		Backends: []cloud.BackendStatus{{Backend: cloud.Backend{InstanceID: "team-a.cp-0"}, Healthy: true}},
		Spec: cloud.LoadBalancerSpec{
			Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS, FrontendPort: 20001}},
			Backends:  []cloud.Backend{{InstanceID: "team-a.cp-0"}},
		},
	}
	for _, f := range m {
		f(lb)
	}
	return lb
}

// atProvider is status.atProvider for cloudLB().
func atProvider() v1alpha1.LoadBalancerObservation {
	return v1alpha1.LoadBalancerObservation{
		Host:     "127.0.0.1",
		Port:     20001,
		Endpoint: "127.0.0.1:20001",
		State:    "Active",
		Backends: []v1alpha1.BackendObservation{{InstanceID: "team-a.cp-0", Healthy: true}},
	}
}

func details() managed.ConnectionDetails {
	return managed.ConnectionDetails{"endpoint": []byte("127.0.0.1"), "port": []byte("20001")}
}

func getLB(lb *cloud.LoadBalancer, err error) func(context.Context, string) (*cloud.LoadBalancer, error) {
	return func(context.Context, string) (*cloud.LoadBalancer, error) { return lb, err }
}

func notFound() error { return errors.Wrap(cloud.ErrNotFound, "load balancer "+id) }

func TestObserve(t *testing.T) {
	type want struct {
		o   managed.ExternalObservation
		cr  *v1alpha1.LoadBalancer
		err error
	}
	cases := map[string]struct {
		reason string
		driver *fake.Driver
		cr     *v1alpha1.LoadBalancer
		want   want
	}{
		"NoExternalName": {
			reason: "A LoadBalancer without an external name was never created.",
			driver: &fake.Driver{},
			cr:     loadBalancer(),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}, cr: loadBalancer()},
		},
		"NotFoundKeepsPort": {
			reason: "A load balancer the cloud lost does not exist; status.atProvider keeps the port for Create.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(nil, notFound())},
			cr:     loadBalancer(withExternalName(id), withAtProvider(atProvider())),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: false},
				cr: loadBalancer(withExternalName(id), withAtProvider(atProvider())),
			},
		},
		"GetError": {
			reason: "A driver error is returned with the load balancer it concerns.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(nil, errBoom)},
			cr:     loadBalancer(withExternalName(id)),
			want:   want{cr: loadBalancer(withExternalName(id)), err: errors.Wrapf(errBoom, errFmtGet, id)},
		},
		"ActiveUpToDate": {
			reason: "An active load balancer with the desired backends is available and up to date, and publishes its endpoint.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(), nil)},
			cr:     loadBalancer(withExternalName(id)),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: details()},
				cr: loadBalancer(withExternalName(id), withAtProvider(atProvider()), withConditions(xpv2.Available())),
			},
		},
		"Provisioning": {
			reason: "A load balancer that is not active yet is being created.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(withState(cloud.LoadBalancerStateProvisioning, "")), nil)},
			cr:     loadBalancer(withExternalName(id)),
			want: want{
				o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: details()},
				cr: loadBalancer(withExternalName(id), withConditions(xpv2.Creating()), withAtProvider(func() v1alpha1.LoadBalancerObservation {
					o := atProvider()
					o.State = "Provisioning"
					return o
				}())),
			},
		},
		"Failed": {
			reason: "A failed load balancer is unavailable, with the cloud's reason.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(withState(cloud.LoadBalancerStateFailed, "port 20001 in use")), nil)},
			cr:     loadBalancer(withExternalName(id)),
			want: want{
				o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: details()},
				cr: loadBalancer(withExternalName(id), withConditions(xpv2.Unavailable().WithMessage("port 20001 in use")), withAtProvider(func() v1alpha1.LoadBalancerObservation {
					o := atProvider()
					o.State, o.Message = "Failed", "port 20001 in use"
					return o
				}())),
			},
		},
		"BackendsChanged": {
			reason: "New backends make the load balancer out of date, and the diff names them.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(), nil)},
			cr:     loadBalancer(withExternalName(id), withInstanceIDs("team-a.cp-0", "team-a.cp-1"), withAddresses("10.0.0.9")),
			want: want{
				o: managed.ExternalObservation{
					ResourceExists:    true,
					ConnectionDetails: details(),
					Diff:              "backends (want [instance team-a.cp-0, instance team-a.cp-1, address 10.0.0.9], have [instance team-a.cp-0])",
				},
				cr: loadBalancer(withExternalName(id), withInstanceIDs("team-a.cp-0", "team-a.cp-1"), withAddresses("10.0.0.9"), withAtProvider(atProvider()), withConditions(xpv2.Available())),
			},
		},
		"UnresolvedInstanceIgnored": {
			reason: "An optional Instance reference that resolved to no ID yet is not a backend.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(), nil)},
			cr:     loadBalancer(withExternalName(id), withInstanceIDs("team-a.cp-0", "")),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: details()},
				cr: loadBalancer(withExternalName(id), withInstanceIDs("team-a.cp-0", ""), withAtProvider(atProvider()), withConditions(xpv2.Available())),
			},
		},
		"HealthCheckAdded": {
			reason: "A new health check makes the load balancer out of date.",
			driver: &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(), nil)},
			cr:     loadBalancer(withExternalName(id), withHealthCheck(&v1alpha1.HealthCheck{Protocol: "TCP", IntervalSeconds: 10, HealthyThreshold: 1, UnhealthyThreshold: 3})),
			want: want{
				o: managed.ExternalObservation{
					ResourceExists:    true,
					ConnectionDetails: details(),
					Diff:              "healthCheck (want {Protocol:TCP Port:6443 Path: IntervalSeconds:10 HealthyThreshold:1 UnhealthyThreshold:3}, have none)",
				},
				cr: loadBalancer(withExternalName(id), withHealthCheck(&v1alpha1.HealthCheck{Protocol: "TCP", IntervalSeconds: 10, HealthyThreshold: 1, UnhealthyThreshold: 3}), withAtProvider(atProvider()), withConditions(xpv2.Available())),
			},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			e := &external{driver: tc.driver}
			o, err := e.Observe(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nObserve(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.o, o); diff != "" {
				t.Errorf("%s\nObserve(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cr, tc.cr, test.EquateConditions()); diff != "" {
				t.Errorf("%s\nObserve(...): -want LoadBalancer, +got LoadBalancer:\n%s", tc.reason, diff)
			}
		})
	}
}

// request records what a driver was asked to create or update.
type request struct {
	id   string
	spec *cloud.LoadBalancerSpec
}

// creates is a driver that knows no load balancer and creates one, recording the request in r.
func creates(err error) func(r *request) *fake.Driver {
	return func(r *request) *fake.Driver {
		return &fake.Driver{
			MockGetLoadBalancer: getLB(nil, notFound()),
			MockCreateLoadBalancer: func(_ context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
				r.id, r.spec = id, &spec
				if err != nil {
					return nil, err
				}
				return cloudLB(), nil
			},
		}
	}
}

func TestCreate(t *testing.T) {
	type want struct {
		req request
		c   managed.ExternalCreation
		cr  *v1alpha1.LoadBalancer
		err error
	}
	cases := map[string]struct {
		reason string
		driver func(r *request) *fake.Driver
		cr     *v1alpha1.LoadBalancer
		want   want
	}{
		"CreateNew": {
			reason: "A new load balancer gets the namespaced ID, lets the cloud choose its port, and publishes its endpoint.",
			driver: creates(nil),
			cr:     loadBalancer(withAddresses("10.0.0.9"), withHealthCheck(&v1alpha1.HealthCheck{Protocol: "TLS", Path: ptr.To("/readyz"), IntervalSeconds: 5, HealthyThreshold: 1, UnhealthyThreshold: 3})),
			want: want{
				req: request{id: id, spec: &cloud.LoadBalancerSpec{
					Listeners:   []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS}},
					Backends:    []cloud.Backend{{InstanceID: "team-a.cp-0"}, {Address: "10.0.0.9"}},
					HealthCheck: &cloud.HealthCheck{Protocol: cloud.ProtocolTLS, Port: 6443, Path: "/readyz", IntervalSeconds: 5, HealthyThreshold: 1, UnhealthyThreshold: 3},
				}},
				c:  managed.ExternalCreation{ConnectionDetails: details()},
				cr: loadBalancer(withAddresses("10.0.0.9"), withHealthCheck(&v1alpha1.HealthCheck{Protocol: "TLS", Path: ptr.To("/readyz"), IntervalSeconds: 5, HealthyThreshold: 1, UnhealthyThreshold: 3}), withExternalName(id), withConditions(xpv2.Creating())),
			},
		},
		"RecreateOnSamePort": {
			reason: "A load balancer the cloud lost is created again on the port recorded in status.atProvider.port.",
			driver: creates(nil),
			cr:     loadBalancer(withExternalName(id), withAtProvider(atProvider())),
			want: want{
				req: request{id: id, spec: &cloud.LoadBalancerSpec{
					Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS, FrontendPort: 20001}},
					Backends:  []cloud.Backend{{InstanceID: "team-a.cp-0"}},
				}},
				c:  managed.ExternalCreation{ConnectionDetails: details()},
				cr: loadBalancer(withExternalName(id), withAtProvider(atProvider()), withConditions(xpv2.Creating())),
			},
		},
		"AdoptExisting": {
			reason: "A load balancer that already has the ID (a create whose result was lost) is adopted, not created twice.",
			driver: func(*request) *fake.Driver {
				return &fake.Driver{MockGetLoadBalancer: getLB(cloudLB(), nil)}
			},
			cr: loadBalancer(),
			want: want{
				c:  managed.ExternalCreation{ConnectionDetails: details()},
				cr: loadBalancer(withExternalName(id), withConditions(xpv2.Creating())),
			},
		},
		"GetError": {
			reason: "A driver error while looking for an earlier load balancer is returned with its ID.",
			driver: func(*request) *fake.Driver {
				return &fake.Driver{MockGetLoadBalancer: getLB(nil, errBoom)}
			},
			cr:   loadBalancer(),
			want: want{cr: loadBalancer(withConditions(xpv2.Creating())), err: errors.Wrapf(errBoom, errFmtGet, id)},
		},
		"CreateError": {
			reason: "A driver error is returned with the load balancer it concerns, and no external name is set.",
			driver: creates(errBoom),
			cr:     loadBalancer(),
			want: want{
				req: request{id: id, spec: &cloud.LoadBalancerSpec{
					Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS}},
					Backends:  []cloud.Backend{{InstanceID: "team-a.cp-0"}},
				}},
				cr:  loadBalancer(withConditions(xpv2.Creating())),
				err: errors.Wrapf(errBoom, errFmtCreate, id),
			},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			var got request
			e := &external{driver: tc.driver(&got)}
			c, err := e.Create(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nCreate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.req, got, cmp.AllowUnexported(request{})); diff != "" {
				t.Errorf("%s\nCreate(...): -want request, +got request:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.c, c); diff != "" {
				t.Errorf("%s\nCreate(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cr, tc.cr, test.EquateConditions()); diff != "" {
				t.Errorf("%s\nCreate(...): -want LoadBalancer, +got LoadBalancer:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	type want struct {
		req request
		u   managed.ExternalUpdate
		err error
	}
	cases := map[string]struct {
		reason string
		err    error
		cr     *v1alpha1.LoadBalancer
		want   want
	}{
		"Updated": {
			reason: "Backends are replaced; the listener keeps its recorded port.",
			cr:     loadBalancer(withExternalName(id), withInstanceIDs("team-a.cp-0", "team-a.cp-1"), withAtProvider(atProvider())),
			want: want{
				req: request{id: id, spec: &cloud.LoadBalancerSpec{
					Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS, FrontendPort: 20001}},
					Backends:  []cloud.Backend{{InstanceID: "team-a.cp-0"}, {InstanceID: "team-a.cp-1"}},
				}},
				u: managed.ExternalUpdate{ConnectionDetails: details()},
			},
		},
		"UpdateError": {
			reason: "A driver error is returned with the load balancer it concerns.",
			err:    errBoom,
			cr:     loadBalancer(withExternalName(id)),
			want: want{
				req: request{id: id, spec: &cloud.LoadBalancerSpec{
					Listeners: []cloud.Listener{{Port: 6443, Protocol: cloud.ProtocolTLS}},
					Backends:  []cloud.Backend{{InstanceID: "team-a.cp-0"}},
				}},
				err: errors.Wrapf(errBoom, errFmtUpdate, id),
			},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			var got request
			e := &external{driver: &fake.Driver{MockUpdateLoadBalancer: func(_ context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
				got = request{id: id, spec: &spec}
				if tc.err != nil {
					return nil, tc.err
				}
				return cloudLB(withBackends(spec.Backends...)), nil
			}}}
			u, err := e.Update(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nUpdate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.req, got, cmp.AllowUnexported(request{})); diff != "" {
				t.Errorf("%s\nUpdate(...): -want request, +got request:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.u, u); diff != "" {
				t.Errorf("%s\nUpdate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	type want struct {
		id  string
		cr  *v1alpha1.LoadBalancer
		err error
	}
	cases := map[string]struct {
		reason string
		err    error
		cr     *v1alpha1.LoadBalancer
		want   want
	}{
		"Deleted": {
			reason: "The load balancer with the external name is deleted.",
			cr:     loadBalancer(withExternalName(id)),
			want:   want{id: id, cr: loadBalancer(withExternalName(id), withConditions(xpv2.Deleting()))},
		},
		"DeleteError": {
			reason: "A driver error is returned with the load balancer it concerns.",
			err:    errBoom,
			cr:     loadBalancer(withExternalName(id)),
			want:   want{id: id, cr: loadBalancer(withExternalName(id), withConditions(xpv2.Deleting())), err: errors.Wrapf(errBoom, errFmtDelete, id)},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			var got string
			e := &external{driver: &fake.Driver{MockDeleteLoadBalancer: func(_ context.Context, id string) error {
				got = id
				return tc.err
			}}}
			_, err := e.Delete(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nDelete(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.id, got); diff != "" {
				t.Errorf("%s\nDelete(...): -want ID, +got ID:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cr, tc.cr, test.EquateConditions()); diff != "" {
				t.Errorf("%s\nDelete(...): -want LoadBalancer, +got LoadBalancer:\n%s", tc.reason, diff)
			}
		})
	}
}
