// Package artifact keeps the artifacts of pipeline executions: named trees
// of files that one action produces and later actions consume.
//
// A Store is content-addressed. Each regular file is stored once, as a blob
// named by the SHA-256 of its contents (blobs/sha256/ab/abcd…), whatever
// tree or path it came from; a tree is a manifest listing its entries
// (path, type, permissions, size and blob digest or link target) in path
// order, stored under the SHA-256 of its canonical encoding, which is the
// artifact's digest ("sha256:…"). The same tree therefore always gets the
// same digest, and identical files cost their space once.
//
// Everything is written to a temporary file and renamed into place, so a
// crash never leaves a partial blob or manifest under its final name, and
// several goroutines and processes may use one store directory at once:
// writers of the same content race harmlessly to the same name. Extract
// checks every blob against its digest.
package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// DefaultGCGrace is how old an unreferenced blob or manifest must be before
// GC removes it, unless Options say otherwise.
const DefaultGCGrace = time.Hour

// Store is a content-addressed artifact store in one directory. Its
// methods are safe for concurrent use by several goroutines, and the
// directory may be shared by several processes. A Store holds no open
// files: there is nothing to close.
type Store struct {
	dir   string
	grace time.Duration
	now   func() time.Time
}

// Options tune a Store. The zero value suits most uses.
type Options struct {
	// GCGrace protects recent blobs and manifests from GC: a Put in
	// another goroutine or process may have written (or reused) them and
	// not yet recorded the digest its caller will keep. Zero means
	// DefaultGCGrace; a negative value means no grace (tests).
	GCGrace time.Duration
	// Now tells the time for GCGrace; nil means time.Now.
	Now func() time.Time
}

// Open opens the store in dir (e.g. DIR/.secpipe/artifacts), creating the
// directory if needed, with the default Options.
func Open(dir string) (*Store, error) { return New(dir, Options{}) }

// New opens the store in dir, creating the directory if needed.
func New(dir string, opts Options) (*Store, error) {
	s := &Store{dir: dir, grace: opts.GCGrace, now: opts.Now}
	if s.grace == 0 {
		s.grace = DefaultGCGrace
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, sub := range []string{blobDir, manifestDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("open artifact store: %w", err)
		}
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Layout of the store directory.
const (
	blobDir     = "blobs/sha256"
	manifestDir = "manifests/sha256"
	tmpDir      = "tmp"
)

// blobPath returns where the blob of hex digest h lives.
func (s *Store) blobPath(h string) string {
	return filepath.Join(s.dir, blobDir, h[:2], h)
}

// manifestPath returns where the manifest of hex digest h lives.
func (s *Store) manifestPath(h string) string {
	return filepath.Join(s.dir, manifestDir, h[:2], h)
}

// Has reports whether the store holds the artifact digest. A malformed
// digest is not held.
func (s *Store) Has(digest string) bool {
	h, err := parseDigest(digest)
	if err != nil {
		return false
	}
	fi, err := os.Stat(s.manifestPath(h))
	return err == nil && fi.Mode().IsRegular()
}

// List returns the entries of the artifact digest in path order. It wraps
// pipeline.ErrInvalid for a malformed digest or a manifest that does not
// match it, and pipeline.ErrNotFound for an artifact the store lacks.
func (s *Store) List(digest string) ([]Entry, error) {
	h, err := parseDigest(digest)
	if err != nil {
		return nil, fmt.Errorf("artifact: %w", err)
	}
	data, err := os.ReadFile(s.manifestPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("artifact %s: %w", digest, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", digest, err)
	}
	if got := sha256Hex(data); got != h {
		return nil, fmt.Errorf("artifact %s: %w", digest, invalidf("manifest (its contents hash to sha256:%s; the store is damaged)", got))
	}
	entries, err := decodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", digest, err)
	}
	return entries, nil
}

// Size returns the total size of the regular files of the artifact digest
// (not the space the store uses: shared blobs count in every artifact). Its
// errors are those of List.
func (s *Store) Size(digest string) (int64, error) {
	entries, err := s.List(digest)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		n += e.Size
	}
	return n, nil
}
