/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vsphere

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/cloud"
)

// VIPFieldPrefix starts the name of the custom field that reserves a control-plane address:
// capstan.dev/vip/<address>. vCenter keeps field names unique, so one address has one owner.
const VIPFieldPrefix = "capstan.dev/vip/"

// reservation is what a reserved address's field holds on the datacenter: its load balancer.
type reservation struct {
	ID   string                 `json:"id"`
	Spec cloud.LoadBalancerSpec `json:"spec"`
}

// reserved is one reserved address.
type reserved struct {
	address netip.Addr
	key     int32
	// owner is nil for a field without a value: being reserved, or left by a reservation that
	// died half-way. Either way the address is taken.
	owner *reservation
}

// CreateLoadBalancer reserves the first free address of the pool for the load balancer. The
// address serves the backends' own ports: a listener cannot ask for another.
func (d *Driver) CreateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	if err := validateVIPListeners(spec.Listeners); err != nil {
		return nil, err
	}
	d.reserving.Lock()
	defer d.reserving.Unlock()
	all, err := d.reservations(ctx)
	if err != nil {
		return nil, err
	}
	if r := ownedBy(all, id); r != nil {
		return d.observeVIP(ctx, *r), nil
	}
	taken := map[netip.Addr]bool{}
	for _, r := range all {
		taken[r.address] = true
	}
	value, err := json.Marshal(reservation{ID: id, Spec: spec})
	if err != nil {
		return nil, errors.Wrap(err, "cannot encode the reservation")
	}
	var out *reserved
	d.pool.each(func(a netip.Addr) bool {
		if taken[a] {
			return true
		}
		def, ferr := d.fields.Add(ctx, VIPFieldPrefix+a.String(), "Datacenter", nil, nil)
		if fault.Is(ferr, &types.DuplicateName{}) {
			return true // another driver took it since we looked
		}
		if ferr != nil {
			err = errors.Wrapf(ferr, "cannot reserve control-plane address %s", a)
			return false
		}
		if ferr = d.fields.Set(ctx, d.inv.datacenter.Reference(), def.Key, string(value)); ferr != nil {
			_ = d.fields.Remove(ctx, def.Key) // give the address back; the Set error is the one to report
			err = errors.Wrapf(ferr, "cannot record the owner of control-plane address %s", a)
			return false
		}
		out = &reserved{address: a, key: def.Key, owner: &reservation{ID: id, Spec: spec}}
		return false
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.Errorf("no free address in %s: all are reserved", poolField)
	}
	d.log.Info("control-plane address reserved", "id", id, "address", out.address)
	return d.observeVIP(ctx, *out), nil
}

// GetLoadBalancer returns the load balancer's reserved address, or cloud.ErrNotFound.
func (d *Driver) GetLoadBalancer(ctx context.Context, id string) (*cloud.LoadBalancer, error) {
	all, err := d.reservations(ctx)
	if err != nil {
		return nil, err
	}
	r := ownedBy(all, id)
	if r == nil {
		return nil, errors.Wrapf(cloud.ErrNotFound, "load balancer %q", id)
	}
	return d.observeVIP(ctx, *r), nil
}

// UpdateLoadBalancer records the backends and health check. kube-vip follows the control-plane
// machines by itself; the record keeps observations true to the spec.
func (d *Driver) UpdateLoadBalancer(ctx context.Context, id string, spec cloud.LoadBalancerSpec) (*cloud.LoadBalancer, error) {
	if err := validateVIPListeners(spec.Listeners); err != nil {
		return nil, err
	}
	d.reserving.Lock()
	defer d.reserving.Unlock()
	all, err := d.reservations(ctx)
	if err != nil {
		return nil, err
	}
	r := ownedBy(all, id)
	if r == nil {
		return nil, errors.Wrapf(cloud.ErrNotFound, "load balancer %q", id)
	}
	if r.owner.Spec.Listeners[0].Port != spec.Listeners[0].Port {
		return nil, errors.New("listeners cannot change: their endpoint is already in every kubeconfig")
	}
	r.owner.Spec = spec
	value, err := json.Marshal(r.owner)
	if err != nil {
		return nil, errors.Wrap(err, "cannot encode the reservation")
	}
	if err := d.fields.Set(ctx, d.inv.datacenter.Reference(), r.key, string(value)); err != nil {
		return nil, errors.Wrapf(err, "cannot record load balancer %q", id)
	}
	return d.observeVIP(ctx, *r), nil
}

// DeleteLoadBalancer gives the address back to the pool.
func (d *Driver) DeleteLoadBalancer(ctx context.Context, id string) error {
	d.reserving.Lock()
	defer d.reserving.Unlock()
	all, err := d.reservations(ctx)
	if err != nil {
		return err
	}
	r := ownedBy(all, id)
	if r == nil {
		return nil
	}
	if err := d.fields.Remove(ctx, r.key); err != nil && !fault.Is(err, &types.InvalidArgument{}) {
		return errors.Wrapf(err, "cannot release control-plane address %s", r.address)
	}
	d.log.Info("control-plane address released", "id", id, "address", r.address)
	return nil
}

// reservations reads every reserved address and its owner: two calls.
func (d *Driver) reservations(ctx context.Context) ([]reserved, error) {
	defs, err := d.fields.Field(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "cannot read the vCenter's custom fields")
	}
	var dc mo.Datacenter
	if err := d.inv.datacenter.Properties(ctx, d.inv.datacenter.Reference(), []string{"customValue"}, &dc); err != nil {
		return nil, errors.Wrapf(err, "cannot read the custom values of datacenter %q", d.inv.datacenter.InventoryPath)
	}
	values := map[int32]string{}
	for _, v := range dc.CustomValue {
		if s, ok := v.(*types.CustomFieldStringValue); ok {
			values[s.Key] = s.Value
		}
	}
	var out []reserved
	for _, def := range defs {
		name, ok := strings.CutPrefix(def.Name, VIPFieldPrefix)
		if !ok {
			continue
		}
		a, err := netip.ParseAddr(name)
		if err != nil {
			continue // not a field this driver writes
		}
		r := reserved{address: a, key: def.Key}
		if v, ok := values[def.Key]; ok {
			owner := &reservation{}
			if json.Unmarshal([]byte(v), owner) == nil && owner.ID != "" && len(owner.Spec.Listeners) > 0 {
				r.owner = owner
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func ownedBy(all []reserved, id string) *reserved {
	for i := range all {
		if all[i].owner != nil && all[i].owner.ID == id {
			return &all[i]
		}
	}
	return nil
}

// observeVIP is the load balancer a reservation is. A backend is healthy while its machine
// runs, since kube-vip announces the address from whichever control-plane machine leads.
func (d *Driver) observeVIP(ctx context.Context, r reserved) *cloud.LoadBalancer {
	lb := &cloud.LoadBalancer{
		ID:        r.owner.ID,
		Host:      r.address.String(),
		Port:      r.owner.Spec.Listeners[0].Port,
		State:     cloud.LoadBalancerStateActive,
		VirtualIP: true,
		Spec:      r.owner.Spec,
	}
	lb.Spec.Listeners[0].FrontendPort = lb.Port
	for _, b := range r.owner.Spec.Backends {
		healthy := false
		if b.InstanceID != "" {
			i, err := d.GetInstance(ctx, b.InstanceID)
			healthy = err == nil && i.State == cloud.InstanceStateRunning
		}
		lb.Backends = append(lb.Backends, cloud.BackendStatus{Backend: b, Healthy: healthy})
	}
	return lb
}

func validateVIPListeners(ls []cloud.Listener) error {
	if len(ls) == 0 {
		return errors.New("spec.listeners must hold at least one listener")
	}
	for i, l := range ls {
		if l.FrontendPort != 0 && l.FrontendPort != l.Port {
			return errors.Errorf("spec.listeners[%d].frontendPort must be unset or equal port on vSphere: the virtual IP serves the machines' own ports", i)
		}
	}
	return nil
}
