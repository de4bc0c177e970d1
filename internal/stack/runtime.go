/*
Copyright 2026 The Capstan Authors.

SPDX-License-Identifier: Apache-2.0
*/

package stack

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/capstan-dev/capstan/internal/xpcore"
)

// recordInterval is how often the runtimes look for revisions to record themselves on. A new
// revision (an install, an upgrade) waits at most this long for its runtime.
const recordInterval = time.Second

// packageRuntime is the stack as the runtime of one package, and whether its process is up.
type packageRuntime struct {
	xpcore.Runtime
	running atomic.Bool
}

// prepareRuntimes issues each package runtime's serving certificate, and the function its
// address, before either runs: core installs a package once its runtime is recorded, and a
// provider cannot start before its CRDs are installed.
func (s *Stack) prepareRuntimes(ctx context.Context, dir string) error {
	fnCerts, pCerts := filepath.Join(dir, "function-certs"), filepath.Join(dir, "provider-certs")
	for _, d := range []string{fnCerts, pCerts} {
		if err := xpcore.WriteServerCerts(ctx, s.Client, d); err != nil {
			return errors.Wrap(err, errCerts)
		}
	}
	addr, err := freeAddress()
	if err != nil {
		return err
	}
	s.functionRuntime = &packageRuntime{Runtime: xpcore.Function(FunctionName, addr, fnCerts)}
	s.providerRuntime = &packageRuntime{Runtime: xpcore.Provider(ProviderName, pCerts)}
	s.started = make(chan struct{}, 1)
	return nil
}

// record keeps each runtime recorded on its package's active revisions until ctx is done, at
// once when a runtime starts running, else every recordInterval.
func (s *Stack) record(ctx context.Context) {
	t := time.NewTicker(recordInterval)
	defer t.Stop()
	for {
		for _, r := range []*packageRuntime{s.functionRuntime, s.providerRuntime} {
			_, _ = r.Record(ctx, s.Client, r.running.Load()) // NOTE: retried on the next tick.
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.started:
		}
	}
}

// running marks r running and has it recorded at once.
func (s *Stack) running(r *packageRuntime) {
	r.running.Store(true)
	select {
	case s.started <- struct{}{}:
	default:
	}
}
