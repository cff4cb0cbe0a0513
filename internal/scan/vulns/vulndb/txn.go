package vulndb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// txn is one command changing the database: it holds the lock, knows the
// live generation and builds the next one in a staging directory.
type txn struct {
	dir  string
	lock *os.File
	now  time.Time
	// cur is the live manifest, nil when there is no database yet.
	cur *Manifest
	// stage is the staging generation's path, "" until needed.
	stage string
	// sources is the next generation's sources by name; fresh marks
	// those compiled into stage rather than carried over.
	sources map[string]SourceInfo
	fresh   map[string]bool
}

// begin takes the lock of dir (creating dir), reads the live generation and
// sweeps away what earlier crashes left.
func begin(ctx context.Context, dir string, now time.Time) (*txn, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	lock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	t := &txn{dir: dir, lock: lock, now: now, sources: map[string]SourceInfo{}, fresh: map[string]bool{}}
	gen, err := readCurrent(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		lock.Close()
		return nil, err
	default:
		m, err := readManifest(filepath.Join(dir, gen))
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("read database: %w", err)
		}
		t.cur = &m
		for _, s := range m.Sources {
			t.sources[s.Name] = s
		}
	}
	sweep(dir, t.curGen())
	return t, nil
}

// curGen is the live generation's name, "" when none.
func (t *txn) curGen() string {
	if t.cur == nil {
		return ""
	}
	return t.cur.Generation
}

// close drops the staging generation unless committed and releases the lock.
func (t *txn) close() {
	if t.stage != "" {
		os.RemoveAll(t.stage)
	}
	t.lock.Close()
}

// build compiles the source called name into the staging generation by
// calling read with a compiler, and records it for the next generation.
func (t *txn) build(name string, kind SourceKind, warn func(error), read func(*compiler) error) (SourceInfo, error) {
	if t.stage == "" {
		stage, err := os.MkdirTemp(t.dir, genPrefix+"*")
		if err != nil {
			return SourceInfo{}, fmt.Errorf("create generation: %w", err)
		}
		t.stage = stage
	}
	file := sourceFileName(name)
	path := filepath.Join(t.stage, file)
	os.Remove(path)
	w, err := createSourceFile(path)
	if err != nil {
		return SourceInfo{}, fmt.Errorf("create compiled file: %w", err)
	}
	c := newCompiler(w, warn)
	err = read(c)
	var info SourceInfo
	if err == nil {
		info, err = c.finish()
	}
	if err != nil {
		w.abort()
		os.Remove(path)
		return SourceInfo{}, err
	}
	info.Name, info.Kind, info.File = name, kind, file
	info.ImportedAt, info.CheckedAt = t.now, t.now
	t.sources[name] = info
	t.fresh[name] = true
	return info, nil
}

// commit makes the staging generation (with every source not rebuilt
// carried over) the live one, then removes the previous generation.
func (t *txn) commit() (Manifest, error) {
	if t.stage == "" {
		stage, err := os.MkdirTemp(t.dir, genPrefix+"*")
		if err != nil {
			return Manifest{}, fmt.Errorf("create generation: %w", err)
		}
		t.stage = stage
	}
	m := Manifest{FormatVersion: formatVersion, Generation: filepath.Base(t.stage), CreatedAt: t.now}
	for _, name := range slices.Sorted(maps.Keys(t.sources)) {
		s := t.sources[name]
		if !t.fresh[name] {
			if err := linkOrCopy(filepath.Join(t.dir, t.curGen(), s.File), filepath.Join(t.stage, s.File)); err != nil {
				return Manifest{}, fmt.Errorf("carry over %s: %w", name, err)
			}
		}
		m.Sources = append(m.Sources, s)
	}
	if err := countTotals(t.stage, &m); err != nil {
		return Manifest{}, err
	}
	if err := writeManifest(t.stage, m); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	if err := syncDir(t.stage); err != nil {
		return Manifest{}, fmt.Errorf("sync generation: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(t.dir, currentName), []byte(m.Generation+"\n")); err != nil {
		return Manifest{}, fmt.Errorf("switch generation: %w", err)
	}
	old := t.curGen()
	t.stage, t.cur = "", &m
	if old != "" {
		os.RemoveAll(filepath.Join(t.dir, old))
	}
	return m, nil
}

// touch records changed source metadata (check times, validators) in the
// live manifest, for a command that compiled nothing.
func (t *txn) touch() (Manifest, error) {
	m := t.cur.clone()
	for i, s := range m.Sources {
		m.Sources[i] = t.sources[s.Name]
	}
	if err := writeManifest(filepath.Join(t.dir, m.Generation), m); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	return m, nil
}

// countTotals fills in m's distinct ID counts from the compiled files in gen.
func countTotals(gen string, m *Manifest) error {
	all := map[string]bool{}
	perEco := map[string]map[string]bool{}
	for _, s := range m.Sources {
		sf, err := openSourceFile(filepath.Join(gen, s.File))
		if err != nil {
			return fmt.Errorf("count %s: %w", s.Name, err)
		}
		for i := range sf.nkey {
			eco := keyEcosystem(string(sf.key(i)))
			if perEco[eco] == nil {
				perEco[eco] = map[string]bool{}
			}
			for _, r := range sf.postingsAt(i) {
				perEco[eco][sf.meta(r).id] = true
			}
		}
		for r := range sf.nrec {
			all[sf.meta(uint32(r)).id] = true
		}
		sf.close()
	}
	m.Total = len(all)
	m.Ecosystems = make(map[string]int, len(perEco))
	for eco, ids := range perEco {
		m.Ecosystems[eco] = len(ids)
	}
	return nil
}
