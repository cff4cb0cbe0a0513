package vulndb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// openRetries bounds how often Open starts over when a command replaced
// the generation it was reading.
const openRetries = 5

// notFoundError says there is no database yet and how to make one.
type notFoundError struct{ dir string }

func (e *notFoundError) Error() string {
	return "no vulnerability database in " + e.dir + ": run `secpipe db update` or `secpipe db import`"
}

func (e *notFoundError) Unwrap() error { return pipeline.ErrNotFound }

func notFound(dir string) error { return &notFoundError{dir: dir} }

// DB is an open database: the live generation's manifest and indexes, with
// records read and parsed on demand and cached. It is safe for concurrent
// use until Close, and keeps serving the generation it opened while
// commands replace it.
type DB struct {
	manifest Manifest
	sources  []*sourceFile

	mu    sync.Mutex
	cache map[recRef]*osv.Vulnerability
}

// recRef names one record: its source's position and its number.
type recRef struct {
	src int
	rec uint32
}

// Open opens the database in dir, reading the manifest and every source's
// index but no record. When there is none the error matches
// pipeline.ErrNotFound and says how to make one; a damaged database is an
// error naming the file.
func Open(dir string) (*DB, error) {
	for attempt := 0; ; attempt++ {
		db, raced, err := openOnce(dir)
		if raced && attempt < openRetries {
			continue
		}
		return db, err
	}
}

// openOnce opens the live generation. raced is set when a file of it was
// missing, which happens when a command replaces it meanwhile.
func openOnce(dir string) (db *DB, raced bool, err error) {
	gen, err := readCurrent(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, notFound(dir)
	}
	if err != nil {
		return nil, false, fmt.Errorf("open vulnerability database: %w", err)
	}
	m, err := readManifest(filepath.Join(dir, gen))
	if err != nil {
		return nil, errors.Is(err, os.ErrNotExist), fmt.Errorf("open vulnerability database: %w", err)
	}
	db = &DB{manifest: m, cache: map[recRef]*osv.Vulnerability{}}
	for _, s := range m.Sources {
		sf, err := openSourceFile(filepath.Join(dir, gen, s.File))
		if err != nil {
			db.Close()
			return nil, errors.Is(err, os.ErrNotExist), fmt.Errorf("open vulnerability database: source %s: %w", s.Name, err)
		}
		db.sources = append(db.sources, sf)
	}
	return db, false, nil
}

// Close releases the database's files. Lookups after Close fail.
func (db *DB) Close() error {
	var errs []error
	for _, s := range db.sources {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// Manifest returns a copy of the manifest of the generation opened.
func (db *DB) Manifest() Manifest { return db.manifest.clone() }

// candidate is the best record seen so far for one ID.
type candidate struct {
	ref      recRef
	modified time.Time
}

// Advisories returns the advisories that may affect p, sorted by ID: those
// with an affected entry in p's ecosystem or, for a release ("Debian:9"),
// in the bare ecosystem ("Debian"), naming p.Name or p.SourceName (PEP 503
// normalised in PyPI). The caller runs match.Match on them. An ID held by
// several sources appears once, from the source whose record was modified
// last. The records returned are shared: callers must not change them.
// It fails when ctx is done, or when a record cannot be read or parsed
// (a damaged or closed database). Safe for concurrent use.
func (db *DB) Advisories(ctx context.Context, p match.Package) ([]*osv.Vulnerability, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keys := lookupKeys(p)
	var best map[string]candidate
	for si, s := range db.sources {
		for _, k := range keys {
			for _, r := range s.postings(k) {
				m := s.meta(r)
				if c, ok := best[m.id]; ok && !m.modified.After(c.modified) {
					continue
				}
				if best == nil {
					best = map[string]candidate{}
				}
				best[m.id] = candidate{ref: recRef{si, r}, modified: m.modified}
			}
		}
	}
	out := make([]*osv.Vulnerability, 0, len(best))
	for _, c := range best {
		v, err := db.record(c.ref)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *osv.Vulnerability) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// record returns record ref, parsed once and cached.
func (db *DB) record(ref recRef) (*osv.Vulnerability, error) {
	db.mu.Lock()
	v, ok := db.cache[ref]
	db.mu.Unlock()
	if ok {
		return v, nil
	}
	s := db.sources[ref.src]
	data, err := s.read(ref.rec)
	name := db.manifest.Sources[ref.src].Name + ":" + s.meta(ref.rec).id
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	v, err = decodeRecord(data)
	if err != nil {
		return nil, fmt.Errorf("vulnerability database damaged: %s: %w", name, err)
	}
	db.mu.Lock()
	if prev, ok := db.cache[ref]; ok {
		v = prev
	} else {
		db.cache[ref] = v
	}
	db.mu.Unlock()
	return v, nil
}
