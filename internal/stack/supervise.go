/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"context"
	"sync"
	"time"
)

// Restart back-off, as a kubelet restarts a crashing container: the first restart after a second,
// each next one after twice as long up to a limit, and from a second again once a component has
// run for a while.
const (
	firstRestartDelay = time.Second
	maxRestartDelay   = 30 * time.Second
	stableAfter       = time.Minute
)

// A process is a running component: a child process, or Crossplane core.
type process interface {
	PID() int
	Exited() <-chan struct{}
	Stop() error
}

// A component is a long-lived process of the stack, started again whenever it exits until the
// stack stops.
type component struct {
	name string
	// start starts the component and returns once it is ready.
	start func(ctx context.Context) (process, error)

	mu       sync.Mutex
	proc     process
	restarts int
}

// Component is a long-lived process of a running stack.
type Component struct {
	// Name is the component's name, e.g. provider.
	Name string `json:"name"`

	// PID is its current process.
	PID int `json:"pid"`

	// Restarts counts how often it was started again after it exited.
	Restarts int `json:"restarts"`
}

// supervise starts c and then keeps it running until the stack stops. A component that fails its
// first start fails the stack's: that is a broken install, not a crash to ride out.
func (s *Stack) supervise(ctx context.Context, name string, start func(ctx context.Context) (process, error)) error {
	c := &component{name: name, start: start}
	p, err := c.start(ctx)
	if err != nil {
		return err
	}
	c.proc = p
	s.components = append(s.components, c)
	s.keepers.Add(1)
	go s.keep(c, time.Now())
	return nil
}

// keep starts c again each time it exits, with back-off, until the stack stops.
func (s *Stack) keep(c *component, started time.Time) {
	defer s.keepers.Done()
	delay := firstRestartDelay
	for {
		c.mu.Lock()
		exited := c.proc.Exited()
		c.mu.Unlock()
		select {
		case <-s.life.Done():
			return
		case <-exited:
		}
		if time.Since(started) > stableAfter {
			delay = firstRestartDelay
		}
		p := s.restart(c, &delay)
		if p == nil {
			return
		}
		c.mu.Lock()
		c.proc, started = p, time.Now()
		c.restarts++
		c.mu.Unlock()
		if s.opts.OnRestart != nil {
			s.opts.OnRestart(c.name)
		}
	}
}

// restart starts c again after delay, doubling delay after each attempt until one succeeds. It
// returns nil once the stack stops.
func (s *Stack) restart(c *component, delay *time.Duration) process {
	for {
		select {
		case <-s.life.Done():
			return nil
		case <-time.After(*delay):
		}
		*delay = min(2**delay, maxRestartDelay)
		ctx, cancel := context.WithTimeout(s.life, readyTimeout)
		p, err := c.start(ctx)
		cancel()
		if err == nil {
			return p
		}
	}
}

// Components lists the stack's long-lived processes in the order they started.
func (s *Stack) Components() []Component {
	out := make([]Component, 0, len(s.components))
	for _, c := range s.components {
		c.mu.Lock()
		out = append(out, Component{Name: c.name, PID: c.proc.PID(), Restarts: c.restarts})
		c.mu.Unlock()
	}
	return out
}

// stopComponents stops every component, last started first, and keeps them stopped.
func (s *Stack) stopComponents() []error {
	s.end()
	s.keepers.Wait()
	var errs []error
	for i := len(s.components) - 1; i >= 0; i-- {
		c := s.components[i]
		c.mu.Lock()
		p := c.proc
		c.mu.Unlock()
		if err := p.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
