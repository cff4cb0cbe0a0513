package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// testRunners checks heartbeats: the first inserts, later ones update,
// listing orders by start, and deleting reports unknown runners.
func testRunners(t *testing.T, s store.Store) {
	ctx := context.Background()
	if rs, err := s.Runners(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("Runners on an empty store = %v, %v; want none", rs, err)
	}
	late := store.Runner{ID: "b-late", Host: "worker-2", PID: 42, Started: at(time.Minute), Seen: at(time.Minute)}
	early := store.Runner{ID: "a-early", Host: "server", PID: 7, Started: at(0), Seen: at(time.Second)}
	for _, r := range []store.Runner{late, early} {
		if err := s.Heartbeat(ctx, r); err != nil {
			t.Fatalf("Heartbeat(%s) = %v", r.ID, err)
		}
	}
	got, err := s.Runner(ctx, early.ID)
	if err != nil {
		t.Fatalf("Runner(%s) = %v", early.ID, err)
	}
	if diff := cmp.Diff(early, got); diff != "" {
		t.Errorf("Runner round trip (-want +got):\n%s", diff)
	}
	// A heartbeat inside a transaction, as an engine may send one.
	early.Seen = at(10*time.Second + 3*time.Microsecond)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Heartbeat(ctx, early) }); err != nil {
		t.Fatalf("Heartbeat in a transaction = %v", err)
	}
	rs, err := s.Runners(ctx)
	if err != nil {
		t.Fatalf("Runners = %v", err)
	}
	if diff := cmp.Diff([]store.Runner{early, late}, rs); diff != "" {
		t.Errorf("Runners after a second heartbeat (-want +got):\n%s", diff)
	}
	if err := s.DeleteRunner(ctx, late.ID); err != nil {
		t.Fatalf("DeleteRunner(%s) = %v", late.ID, err)
	}
	if _, err := s.Runner(ctx, late.ID); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Runner(deleted) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteRunner(ctx, late.ID); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("DeleteRunner(deleted) = %v, want ErrNotFound", err)
	}
	// A deleted runner that heartbeats again is back.
	if err := s.Heartbeat(ctx, late); err != nil {
		t.Fatalf("Heartbeat(%s) after delete = %v", late.ID, err)
	}
	if rs, _ := s.Runners(ctx); len(rs) != 2 {
		t.Errorf("Runners after the deleted one came back = %v, want two", rs)
	}
}
