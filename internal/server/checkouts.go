package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// sweepEvery is how often the checkouts of ended executions are looked
// for, besides the removal when this process sees an execution end (which
// misses executions other processes finish, and dropped events).
const sweepEvery = time.Minute

// orphanAge is how old a checkout without an execution must be before a
// sweep removes it: younger ones may belong to a release in another
// process that has not committed its execution yet.
const orphanAge = time.Hour

// watchCheckouts removes the checkout of each execution that ends, until
// ctx ends.
func (s *Server) watchCheckouts(ctx context.Context) {
	events, unsubscribe := s.eng.Subscribe("")
	defer unsubscribe()
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	s.sweepCheckouts(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.sweepCheckouts(ctx)
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Kind == engine.EventExecution && ev.Status.Terminal() {
				s.dropCheckout(ctx, ev.ExecutionID)
			}
		}
	}
}

// sweepCheckouts removes the checkouts of executions that have ended (or
// that never started and are old).
func (s *Server) sweepCheckouts(ctx context.Context) {
	entries, err := os.ReadDir(checkoutsDir(s.cfg.DataDir))
	if err != nil {
		s.log.Warn("sweep checkouts", "err", err)
		return
	}
	for _, ent := range entries {
		if ctx.Err() != nil {
			return
		}
		s.dropCheckout(ctx, ent.Name())
	}
	s.sweepClones(ctx)
}

// sweepClones removes the clones of pipelines no longer registered once
// no checkout uses them, and clones of registrations that failed.
func (s *Server) sweepClones(ctx context.Context) {
	entries, err := os.ReadDir(reposDir(s.cfg.DataDir))
	if err != nil {
		s.log.Warn("sweep clones", "err", err)
		return
	}
	for _, ent := range entries {
		name := ent.Name()
		if strings.HasPrefix(name, ".") {
			if info, err := ent.Info(); err == nil && s.now().Sub(info.ModTime()) > orphanAge {
				_ = os.RemoveAll(s.clonePath(name))
			}
			continue
		}
		if _, err := s.store.Pipeline(ctx, name); !errors.Is(err, pipeline.ErrNotFound) {
			continue
		}
		if err := s.pruneClone(ctx, name); err != nil {
			s.log.Warn("remove clone", "pipeline", name, "err", err)
		}
	}
}

// dropCheckout removes the checkout of execution id when the execution
// has ended (or never started and the checkout is old), unless a release
// or retry is preparing it.
func (s *Server) dropCheckout(ctx context.Context, id string) {
	dir := filepath.Join(checkoutsDir(s.cfg.DataDir), id)
	info, err := os.Lstat(dir)
	if err != nil {
		return
	}
	if !s.tryClaim(id) {
		return
	}
	defer s.unclaim(id)
	x, err := s.store.Execution(ctx, id)
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		if s.now().Sub(info.ModTime()) < orphanAge {
			return
		}
	case err != nil:
		s.log.Warn("sweep checkouts", "execution", id, "err", err)
		return
	case !x.Status.Terminal():
		return
	}
	if err := s.removeCheckout(ctx, dir); err != nil {
		s.log.Warn("remove checkout", "execution", id, "err", err)
	}
}

// claim makes this goroutine the one preparing or removing the checkout
// of execution id, waiting for another holder to finish; unclaim ends it.
func (s *Server) claim(ctx context.Context, id string) error {
	for {
		held, busy := s.claims.LoadOrStore(id, make(chan struct{}))
		if !busy {
			return nil
		}
		select {
		case <-held.(chan struct{}):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryClaim claims execution id unless someone holds it.
func (s *Server) tryClaim(id string) bool {
	_, busy := s.claims.LoadOrStore(id, make(chan struct{}))
	return !busy
}

// unclaim ends a claim of execution id.
func (s *Server) unclaim(id string) {
	if held, ok := s.claims.LoadAndDelete(id); ok {
		close(held.(chan struct{}))
	}
}
