package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestGC(t *testing.T) {
	ctx := context.Background()
	s := newStore(t) // no grace period
	shared := file{path: "shared.txt", data: "in both"}
	a, err := s.Put(ctx, writeTree(t, []file{shared, {path: "a.txt", data: "only in a"}}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, writeTree(t, []file{shared, {path: "b.txt", data: "only in b!"}}))
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(s.Dir(), tmpDir, "blob-crashed")
	if err := os.WriteFile(stale, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	absent := digestPrefix + sha256Hex([]byte("never stored"))
	st, err := s.GC(ctx, []string{a, absent})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(GCStats{Manifests: 1, Blobs: 1, Bytes: int64(len("only in b!"))}, st); diff != "" {
		t.Errorf("GC() stats (-want +got):\n%s", diff)
	}
	if s.Has(b) {
		t.Errorf("Has(b) = true after GC kept only a")
	}
	if err := s.Extract(ctx, a, t.TempDir()); err != nil {
		t.Errorf("Extract(a) after GC: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file survived GC: %v", err)
	}
	if _, err := s.GC(ctx, []string{"sha256:nope"}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("GC() with a malformed digest: error = %v, want ErrInvalid", err)
	}
}

func TestGCGraceKeepsRecentObjects(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, err := New(t.TempDir(), Options{GCGrace: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Put(ctx, writeTree(t, []file{{path: "f", data: "fresh"}}))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.GC(ctx, nil); err != nil || st != (GCStats{}) {
		t.Errorf("GC() within the grace period = %+v, %v, want nothing removed", st, err)
	}
	now = now.Add(2 * time.Hour)
	if st, err := s.GC(ctx, nil); err != nil || st.Manifests != 1 || st.Blobs != 1 {
		t.Errorf("GC() after the grace period = %+v, %v, want the manifest and blob removed", st, err)
	}
	if s.Has(d) {
		t.Errorf("Has() = true after GC past the grace period")
	}
}

func TestGCWaitsForLock(t *testing.T) {
	s := newStore(t)
	unlock, err := s.lock(context.Background(), lockShared)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.GC(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GC() while a Put holds the lock: error = %v, want it to wait until the deadline", err)
	}
}
