package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// pkg is an affected package of a test record.
type pkg struct{ eco, name string }

// rec writes a small OSV JSON record affecting pkgs from version 0, fixed
// in 1.0.0. extra is spliced into the object ("withdrawn": ... and such).
func rec(id, modified string, pkgs []pkg, extra string) string {
	var aff []string
	for _, p := range pkgs {
		aff = append(aff, fmt.Sprintf(`{"package":{"ecosystem":%q,"name":%q},`+
			`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}`, p.eco, p.name))
	}
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"id":%q,"modified":%q,"summary":"test record %s","affected":[%s]%s}`,
		id, modified, id, strings.Join(aff, ","), extra)
}

// member is one file of a test archive.
type member struct {
	name, data string
	// store writes it uncompressed, so that tests can damage its bytes.
	store bool
}

// zipBytes builds an archive in memory.
func zipBytes(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		method := zip.Deflate
		if m.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes data to dir/name (creating folders) and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeZip writes an archive of members to dir/name and returns the path.
func writeZip(t testing.TB, dir, name string, members []member) string {
	t.Helper()
	return writeFile(t, dir, name, zipBytes(t, members))
}

// clock is a fake time that moves on by a minute at each call.
type clock struct{ t time.Time }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.t = c.t.Add(time.Minute)
	return c.t
}

// mustImport imports srcs into dir and fails the test on error.
func mustImport(t testing.TB, dir string, srcs ...string) Manifest {
	t.Helper()
	m, err := Import(context.Background(), dir, srcs, ImportOptions{})
	if err != nil {
		t.Fatalf("Import(%q) = %v", srcs, err)
	}
	return m
}

// mustOpen opens dir and closes it when the test ends.
func mustOpen(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// lookupIDs returns the IDs Advisories finds for p.
func lookupIDs(t testing.TB, db *DB, p match.Package) []string {
	t.Helper()
	vs, err := db.Advisories(context.Background(), p)
	if err != nil {
		t.Fatalf("Advisories(%+v) = %v", p, err)
	}
	return ids(vs)
}

func ids(vs []*osv.Vulnerability) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// sharedData finds ../shared/data beside the repository root. It skips the
// test when the data is absent, and fails under CI, which always has it.
func sharedData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
	data := filepath.Join(filepath.Dir(dir), "shared", "data")
	if _, err := os.Stat(data); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared advisory data missing under CI: %v", err)
		}
		t.Skipf("shared advisory data not present (%v); it lives in ../shared/data beside the repository", err)
	}
	return data
}

// snapshot is what a reader sees of a database, to compare before and
// after a failed command.
type snapshot struct {
	Current  string
	Entries  []string
	Manifest Manifest
	Lookups  map[string][]string
}

// takeSnapshot reads dir's CURRENT, entries, manifest and the lookups of pkgs.
func takeSnapshot(t testing.TB, dir string, pkgs []match.Package) snapshot {
	t.Helper()
	cur, err := os.ReadFile(filepath.Join(dir, currentName))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{Current: string(cur), Lookups: map[string][]string{}}
	for _, e := range entries {
		s.Entries = append(s.Entries, e.Name())
	}
	db := mustOpen(t, dir)
	s.Manifest = db.Manifest()
	for _, p := range pkgs {
		s.Lookups[p.Ecosystem+"/"+p.Name] = lookupIDs(t, db, p)
	}
	return s
}
