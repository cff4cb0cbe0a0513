package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// lockName is the file Put and GC flock(2): Put shares it, GC takes it
// alone, so GC never sees a blob a running Put counts on.
const lockName = "LOCK"

// Lock modes of Store.lock.
const (
	lockShared    = syscall.LOCK_SH
	lockExclusive = syscall.LOCK_EX
)

// lockPoll is how often a waiter for the lock tries again.
const lockPoll = 10 * time.Millisecond

// GCStats says what a GC removed.
type GCStats struct {
	Manifests int
	Blobs     int
	// Bytes is the size of the removed blobs.
	Bytes int64
}

// GC removes every manifest not in keep and every blob no kept manifest
// references, when older than the grace period (Options.GCGrace), and
// temporary files left by crashed writers. A kept digest the store lacks is
// skipped; a malformed one wraps pipeline.ErrInvalid, and a kept manifest
// that cannot be read fails the call before anything is removed.
//
// GC waits for running Puts (in any process) to finish and makes new ones
// wait until it is done; the grace period protects what a Put stored but
// its caller has not yet recorded in the keep list.
func (s *Store) GC(ctx context.Context, keep []string) (GCStats, error) {
	var st GCStats
	unlock, err := s.lock(ctx, lockExclusive)
	if err != nil {
		return st, err
	}
	defer unlock()
	manifests := map[string]bool{}
	blobs := map[string]bool{}
	for _, d := range keep {
		h, err := parseDigest(d)
		if err != nil {
			return st, fmt.Errorf("gc: %w", err)
		}
		entries, err := s.List(d)
		if errors.Is(err, pipeline.ErrNotFound) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("gc: %w", err)
		}
		manifests[h] = true
		for _, e := range entries {
			if e.Digest != "" {
				blobs[e.Digest[len(digestPrefix):]] = true
			}
		}
	}
	cutoff := s.now().Add(-s.grace)
	if s.grace < 0 {
		cutoff = s.now().Add(time.Hour) // no grace: everything is old enough
	}
	err = s.sweep(ctx, filepath.Join(s.dir, manifestDir), cutoff, manifests, func(int64) { st.Manifests++ })
	if err == nil {
		err = s.sweep(ctx, filepath.Join(s.dir, blobDir), cutoff, blobs, func(n int64) { st.Blobs++; st.Bytes += n })
	}
	if err == nil {
		err = s.sweep(ctx, filepath.Join(s.dir, tmpDir), cutoff, nil, func(int64) {})
	}
	if err != nil {
		return st, fmt.Errorf("gc: %w", err)
	}
	return st, nil
}

// sweep removes the files under dir not named in keep and last modified
// before cutoff, calling removed with the size of each.
func (s *Store) sweep(ctx context.Context, dir string, cutoff time.Time, keep map[string]bool, removed func(int64)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if keep[d.Name()] {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || !fi.ModTime().Before(cutoff) {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed(fi.Size())
		return nil
	})
}

// lock takes the store's lock in mode how (lockShared or lockExclusive),
// waiting until it is free or ctx is done, and returns its release.
func (s *Store) lock(ctx context.Context, how int) (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock artifact store: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock artifact store: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for artifact store lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}
