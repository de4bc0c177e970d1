/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package instance

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/capstan-dev/capstan/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/capstan-dev/capstan/apis/v1alpha1"
	"github.com/capstan-dev/capstan/internal/cloud"
	"github.com/capstan-dev/capstan/internal/cloud/fake"
)

const (
	namespace = "team-a"
	name      = "cp-0"
	id        = "team-a.cp-0"
)

var (
	errBoom = errors.New("boom")
	sizes   = []apisv1alpha1.InstanceSize{
		{Name: "small", CPU: 2, MemoryMiB: 4096, DiskGiB: 20},
		{Name: "large", CPU: 8, MemoryMiB: 16384, DiskGiB: 80},
	}
)

type instanceModifier func(*v1alpha1.Instance)

func withExternalName(n string) instanceModifier {
	return func(cr *v1alpha1.Instance) { meta.SetExternalName(cr, n) }
}

func withSize(s string) instanceModifier {
	return func(cr *v1alpha1.Instance) { cr.Spec.ForProvider.Size = ptr.To(s) }
}

func withResources(cpu, mem, disk int32) instanceModifier {
	return func(cr *v1alpha1.Instance) {
		cr.Spec.ForProvider.Size = nil
		cr.Spec.ForProvider.Resources = &v1alpha1.InstanceResources{CPU: cpu, MemoryMiB: mem, DiskGiB: disk}
	}
}

func withFailureDomain(fd string) instanceModifier {
	return func(cr *v1alpha1.Instance) { cr.Spec.ForProvider.FailureDomain = ptr.To(fd) }
}

func withBootstrapSecret(n, key string) instanceModifier {
	return func(cr *v1alpha1.Instance) {
		cr.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretRef{Name: n, Key: key}
	}
}

func withConditions(c ...xpv2.Condition) instanceModifier {
	return func(cr *v1alpha1.Instance) { cr.SetConditions(c...) }
}

func withAtProvider(o v1alpha1.InstanceObservation) instanceModifier {
	return func(cr *v1alpha1.Instance) { cr.Status.AtProvider = o }
}

func instance(m ...instanceModifier) *v1alpha1.Instance {
	cr := &v1alpha1.Instance{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1alpha1.InstanceSpec{ForProvider: v1alpha1.InstanceParameters{
			Size:  ptr.To("small"),
			Image: "capstan/node:v1.35.4",
		}},
	}
	for _, f := range m {
		f(cr)
	}
	return cr
}

type cloudModifier func(*cloud.Instance)

func withState(s cloud.InstanceState, msg string) cloudModifier {
	return func(i *cloud.Instance) { i.State, i.Message = s, msg }
}

func withImage(img string) cloudModifier {
	return func(i *cloud.Instance) { i.Spec.Image = img }
}

// cloudInstance is the running instance the default Instance asks for, in failure domain fd-1.
func cloudInstance(m ...cloudModifier) *cloud.Instance {
	i := &cloud.Instance{
		ID:            id,
		ProviderID:    "capstan://" + id,
		State:         cloud.InstanceStateRunning,
		FailureDomain: "fd-1",
		Addresses:     []cloud.Address{{Type: cloud.AddressInternalIP, Address: "10.0.0.5"}},
		Spec:          cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 20, Image: "capstan/node:v1.35.4", FailureDomain: "fd-1"},
	}
	for _, f := range m {
		f(i)
	}
	return i
}

// atProvider is status.atProvider for cloudInstance().
func atProvider() v1alpha1.InstanceObservation {
	return v1alpha1.InstanceObservation{
		ID:            id,
		ProviderID:    "capstan://" + id,
		State:         "Running",
		FailureDomain: "fd-1",
		Addresses:     []v1alpha1.InstanceAddress{{Type: "InternalIP", Address: "10.0.0.5"}},
		CPU:           2,
		MemoryMiB:     4096,
		DiskGiB:       20,
	}
}

func getInstance(i *cloud.Instance, err error) func(context.Context, string) (*cloud.Instance, error) {
	return func(context.Context, string) (*cloud.Instance, error) { return i, err }
}

func notFound() error { return errors.Wrap(cloud.ErrNotFound, "instance "+id) }

func TestObserve(t *testing.T) {
	type want struct {
		o   managed.ExternalObservation
		cr  *v1alpha1.Instance
		err error
	}
	cases := map[string]struct {
		reason string
		driver *fake.Driver
		cr     *v1alpha1.Instance
		want   want
	}{
		"NoExternalName": {
			reason: "An Instance without an external name was never created.",
			driver: &fake.Driver{},
			cr:     instance(),
			want:   want{o: managed.ExternalObservation{ResourceExists: false}, cr: instance()},
		},
		"NotFound": {
			reason: "An instance the cloud does not know does not exist, and status is kept.",
			driver: &fake.Driver{MockGetInstance: getInstance(nil, notFound())},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1"), withAtProvider(atProvider())),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: false},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withAtProvider(atProvider())),
			},
		},
		"GetError": {
			reason: "A driver error is returned with the instance it concerns.",
			driver: &fake.Driver{MockGetInstance: getInstance(nil, errBoom)},
			cr:     instance(withExternalName(id)),
			want:   want{cr: instance(withExternalName(id)), err: errors.Wrapf(errBoom, errFmtGet, id)},
		},
		"RunningUpToDate": {
			reason: "A running instance that matches the spec is available and up to date.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1")),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withAtProvider(atProvider()), withConditions(xpv2.Available())),
			},
		},
		"LateInitFailureDomain": {
			reason: "The failure domain the cloud chose is recorded in spec.forProvider.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(), nil)},
			cr:     instance(withExternalName(id)),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ResourceLateInitialized: true},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withAtProvider(atProvider()), withConditions(xpv2.Available())),
			},
		},
		"Provisioning": {
			reason: "A booting instance is being created, not available.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(withState(cloud.InstanceStateProvisioning, "")), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1")),
			want: want{
				o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withConditions(xpv2.Creating()), withAtProvider(func() v1alpha1.InstanceObservation {
					o := atProvider()
					o.State = "Provisioning"
					return o
				}())),
			},
		},
		"Failed": {
			reason: "A failed instance is unavailable, with the cloud's reason.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(withState(cloud.InstanceStateFailed, "no bootstrap data")), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1")),
			want: want{
				o: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withConditions(xpv2.Unavailable().WithMessage("no bootstrap data")), withAtProvider(func() v1alpha1.InstanceObservation {
					o := atProvider()
					o.State, o.Message = "Failed", "no bootstrap data"
					return o
				}())),
			},
		},
		"Drift": {
			reason: "An instance whose image differs from the spec is not up to date, and the diff names the field.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(withImage("other:v1")), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1")),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, Diff: `image (want "capstan/node:v1.35.4", have "other:v1")`},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withConditions(xpv2.Available()), withAtProvider(atProvider())),
			},
		},
		"ExplicitResourcesDiffer": {
			reason: "Explicit resources are compared with the instance's shape.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1"), withResources(4, 4096, 20)),
			want: want{
				o:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, Diff: "cpu (want 4, have 2)"},
				cr: instance(withExternalName(id), withFailureDomain("fd-1"), withResources(4, 4096, 20), withConditions(xpv2.Available()), withAtProvider(atProvider())),
			},
		},
		"UnknownSize": {
			reason: "A size missing from the catalogue is an error that names the field.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1"), withSize("huge")),
			want: want{
				cr:  instance(withExternalName(id), withFailureDomain("fd-1"), withSize("huge"), withConditions(xpv2.Available()), withAtProvider(atProvider())),
				err: errors.Errorf(errFmtUnknownSize, "huge", "small, large"),
			},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			e := &external{driver: tc.driver, sizes: sizes}
			o, err := e.Observe(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nObserve(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.o, o); diff != "" {
				t.Errorf("%s\nObserve(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cr, tc.cr, test.EquateConditions()); diff != "" {
				t.Errorf("%s\nObserve(...): -want Instance, +got Instance:\n%s", tc.reason, diff)
			}
		})
	}
}

func secretGetter(data map[string][]byte) *test.MockClient {
	return &test.MockClient{MockGet: test.NewMockGetFn(nil, func(obj client.Object) error {
		s, ok := obj.(*corev1.Secret)
		if !ok || s == nil {
			return errors.New("not a Secret")
		}
		s.Data = data
		return nil
	})}
}

// created records what a driver was asked to create.
type created struct {
	id   string
	spec *cloud.InstanceSpec
}

// creates is a driver that knows no instance and creates one, recording the request in c.
func creates(err error) func(c *created) *fake.Driver {
	return func(c *created) *fake.Driver {
		return &fake.Driver{
			MockGetInstance: getInstance(nil, notFound()),
			MockCreateInstance: func(_ context.Context, id string, spec cloud.InstanceSpec) (*cloud.Instance, error) {
				c.id, c.spec = id, &spec
				if err != nil {
					return nil, err
				}
				return cloudInstance(withState(cloud.InstanceStateProvisioning, "")), nil
			},
		}
	}
}

func TestCreate(t *testing.T) {
	userData := []byte("#cloud-config\n")
	secretNotFound := apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "cp-0-bootstrap")
	type want struct {
		created created
		cr      *v1alpha1.Instance
		err     error
	}
	cases := map[string]struct {
		reason string
		kube   client.Reader
		driver func(c *created) *fake.Driver
		cr     *v1alpha1.Instance
		want   want
	}{
		"CreateFromSize": {
			reason: "A new instance gets the namespaced ID, the catalogue shape and the bootstrap data.",
			kube:   secretGetter(map[string][]byte{"value": userData}),
			driver: creates(nil),
			cr:     instance(withBootstrapSecret("cp-0-bootstrap", "value")),
			want: want{
				created: created{id: id, spec: &cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 20, Image: "capstan/node:v1.35.4", UserData: userData}},
				cr:      instance(withBootstrapSecret("cp-0-bootstrap", "value"), withExternalName(id), withConditions(xpv2.Creating())),
			},
		},
		"DefaultSecretKey": {
			reason: "A reference without a key reads the key Cluster API's bootstrap providers write.",
			kube:   secretGetter(map[string][]byte{"value": userData}),
			driver: creates(nil),
			cr:     instance(withBootstrapSecret("cp-0-bootstrap", "")),
			want: want{
				created: created{id: id, spec: &cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 20, Image: "capstan/node:v1.35.4", UserData: userData}},
				cr:      instance(withBootstrapSecret("cp-0-bootstrap", ""), withExternalName(id), withConditions(xpv2.Creating())),
			},
		},
		"CreateFromResourcesKeepsExternalName": {
			reason: "An external name set by the user is the ID; explicit resources and failure domain are passed on.",
			driver: creates(nil),
			cr:     instance(withExternalName("imported"), withResources(3, 1024, 10), withFailureDomain("fd-2")),
			want: want{
				created: created{id: "imported", spec: &cloud.InstanceSpec{CPU: 3, MemoryMiB: 1024, DiskGiB: 10, Image: "capstan/node:v1.35.4", FailureDomain: "fd-2"}},
				cr:      instance(withExternalName("imported"), withResources(3, 1024, 10), withFailureDomain("fd-2"), withConditions(xpv2.Creating())),
			},
		},
		"AdoptExisting": {
			reason: "An instance that already has the ID (a create whose result was lost) is adopted, not created twice.",
			driver: func(*created) *fake.Driver {
				return &fake.Driver{MockGetInstance: getInstance(cloudInstance(), nil)}
			},
			cr:   instance(),
			want: want{cr: instance(withExternalName(id), withConditions(xpv2.Creating()))},
		},
		"GetError": {
			reason: "A driver error while looking for an earlier instance is returned with its ID.",
			driver: func(*created) *fake.Driver {
				return &fake.Driver{MockGetInstance: getInstance(nil, errBoom)}
			},
			cr:   instance(),
			want: want{cr: instance(withConditions(xpv2.Creating())), err: errors.Wrapf(errBoom, errFmtGet, id)},
		},
		"MissingSecret": {
			reason: "A missing bootstrap Secret is an error that names the field.",
			kube:   &test.MockClient{MockGet: test.NewMockGetFn(secretNotFound)},
			driver: creates(nil),
			cr:     instance(withBootstrapSecret("cp-0-bootstrap", "value")),
			want: want{
				cr:  instance(withBootstrapSecret("cp-0-bootstrap", "value"), withConditions(xpv2.Creating())),
				err: errors.Wrapf(secretNotFound, errFmtGetSecret, "cp-0-bootstrap"),
			},
		},
		"MissingSecretKey": {
			reason: "A bootstrap Secret without the key is an error that names the field and the key.",
			kube:   secretGetter(map[string][]byte{"other": userData}),
			driver: creates(nil),
			cr:     instance(withBootstrapSecret("cp-0-bootstrap", "value")),
			want: want{
				cr:  instance(withBootstrapSecret("cp-0-bootstrap", "value"), withConditions(xpv2.Creating())),
				err: errors.Errorf(errFmtNoSecretKey, "value", "cp-0-bootstrap"),
			},
		},
		"UnknownSize": {
			reason: "A size missing from the catalogue is an error that names the field and the sizes there are.",
			driver: creates(nil),
			cr:     instance(withSize("huge")),
			want: want{
				cr:  instance(withSize("huge"), withConditions(xpv2.Creating())),
				err: errors.Errorf(errFmtUnknownSize, "huge", "small, large"),
			},
		},
		"CreateError": {
			reason: "A driver error is returned with the instance it concerns, and no external name is set.",
			driver: creates(errBoom),
			cr:     instance(),
			want: want{
				created: created{id: id, spec: &cloud.InstanceSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 20, Image: "capstan/node:v1.35.4"}},
				cr:      instance(withConditions(xpv2.Creating())),
				err:     errors.Wrapf(errBoom, errFmtCreate, id),
			},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			var got created
			e := &external{kube: tc.kube, driver: tc.driver(&got), sizes: sizes}
			_, err := e.Create(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nCreate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.created, got, cmp.AllowUnexported(created{})); diff != "" {
				t.Errorf("%s\nCreate(...): -want request, +got request:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cr, tc.cr, test.EquateConditions()); diff != "" {
				t.Errorf("%s\nCreate(...): -want Instance, +got Instance:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	cases := map[string]struct {
		reason string
		driver *fake.Driver
		cr     *v1alpha1.Instance
		want   error
	}{
		"InPlaceChangeRefused": {
			reason: "An instance cannot change in place: the error says which field differs.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(withImage("other:v1")), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1")),
			want:   errors.Errorf(errFmtReplace, id, `image (want "capstan/node:v1.35.4", have "other:v1")`),
		},
		"NothingToDo": {
			reason: "An instance that matches by now needs nothing.",
			driver: &fake.Driver{MockGetInstance: getInstance(cloudInstance(), nil)},
			cr:     instance(withExternalName(id), withFailureDomain("fd-1")),
		},
		"GetError": {
			reason: "A driver error is returned with the instance it concerns.",
			driver: &fake.Driver{MockGetInstance: getInstance(nil, errBoom)},
			cr:     instance(withExternalName(id)),
			want:   errors.Wrapf(errBoom, errFmtGet, id),
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			e := &external{driver: tc.driver, sizes: sizes}
			_, err := e.Update(context.Background(), tc.cr)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nUpdate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	type want struct {
		id  string
		cr  *v1alpha1.Instance
		err error
	}
	cases := map[string]struct {
		reason string
		err    error
		cr     *v1alpha1.Instance
		want   want
	}{
		"Deleted": {
			reason: "The instance with the external name is deleted.",
			cr:     instance(withExternalName(id)),
			want:   want{id: id, cr: instance(withExternalName(id), withConditions(xpv2.Deleting()))},
		},
		"DeleteError": {
			reason: "A driver error is returned with the instance it concerns.",
			err:    errBoom,
			cr:     instance(withExternalName(id)),
			want:   want{id: id, cr: instance(withExternalName(id), withConditions(xpv2.Deleting())), err: errors.Wrapf(errBoom, errFmtDelete, id)},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			var got string
			e := &external{driver: &fake.Driver{MockDeleteInstance: func(_ context.Context, id string) error {
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
				t.Errorf("%s\nDelete(...): -want Instance, +got Instance:\n%s", tc.reason, diff)
			}
		})
	}
}
