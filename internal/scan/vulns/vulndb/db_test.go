package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// Source is the interface scans consume; DB must satisfy it.
type Source interface {
	Advisories(ctx context.Context, p match.Package) ([]*osv.Vulnerability, error)
}

var _ Source = (*DB)(nil)

func TestAdvisories(t *testing.T) {
	dir := t.TempDir()
	src := writeZip(t, t.TempDir(), "all.zip", []member{
		{name: "DEB-9.json", data: rec("DEB-9", t1, []pkg{{"Debian:9", "linux"}}, "")},
		{name: "DEB-10.json", data: rec("DEB-10", t1, []pkg{{"Debian:10", "linux"}}, "")},
		{name: "DEB-ALL.json", data: rec("DEB-ALL", t1, []pkg{{"Debian", "linux"}}, "")},
		{name: "DEB-BIN.json", data: rec("DEB-BIN", t1, []pkg{{"Debian:9", "linux-image-amd64"}}, "")},
		{name: "UBU.json", data: rec("UBU", t1, []pkg{{"Ubuntu:22.04:LTS", "linux"}}, "")},
		{name: "PY.json", data: rec("PY", t1, []pkg{{"PyPI", "Zope.Interface"}}, "")},
		{name: "GO-CASE.json", data: rec("GO-CASE", t1, []pkg{{"Go", "github.com/BurntSushi/toml"}}, "")},
		{name: "MULTI.json", data: rec("MULTI", t1, []pkg{{"npm", "a"}, {"npm", "a"}, {"npm", "b"}}, "")},
	})
	mustImport(t, dir, src)
	db := mustOpen(t, dir)
	tests := []struct {
		name string
		p    match.Package
		want []string
	}{
		{name: "release finds release and bare", p: match.Package{Ecosystem: "Debian:9", Name: "linux"}, want: []string{"DEB-9", "DEB-ALL"}},
		{name: "other release", p: match.Package{Ecosystem: "Debian:10", Name: "linux"}, want: []string{"DEB-10", "DEB-ALL"}},
		{name: "bare finds bare only", p: match.Package{Ecosystem: "Debian", Name: "linux"}, want: []string{"DEB-ALL"}},
		{name: "source name", p: match.Package{Ecosystem: "Debian:9", Name: "linux-image-amd64", SourceName: "linux"}, want: []string{"DEB-9", "DEB-ALL", "DEB-BIN"}},
		{name: "ecosystem case matters", p: match.Package{Ecosystem: "debian:9", Name: "linux"}},
		{name: "release with colon", p: match.Package{Ecosystem: "Ubuntu:22.04:LTS", Name: "linux"}, want: []string{"UBU"}},
		{name: "PyPI normalised", p: match.Package{Ecosystem: "PyPI", Name: "zope-interface"}, want: []string{"PY"}},
		{name: "PyPI runs of separators", p: match.Package{Ecosystem: "PyPI", Name: "ZOPE_.interface"}, want: []string{"PY"}},
		{name: "Go exact", p: match.Package{Ecosystem: "Go", Name: "github.com/burntsushi/toml"}},
		{name: "Go exact hit", p: match.Package{Ecosystem: "Go", Name: "github.com/BurntSushi/toml"}, want: []string{"GO-CASE"}},
		{name: "once per record", p: match.Package{Ecosystem: "npm", Name: "a", SourceName: "b"}, want: []string{"MULTI"}},
		{name: "unknown", p: match.Package{Ecosystem: "npm", Name: "zzz"}},
		{name: "no ecosystem", p: match.Package{Name: "linux"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, lookupIDs(t, db, tt.p)); diff != "" {
				t.Errorf("Advisories(%+v) (-want +got):\n%s", tt.p, diff)
			}
		})
	}
}

// TestAdvisoriesAgreeWithMatch checks that every advisory match.Match would
// report for a package is among those Advisories returns.
func TestAdvisoriesAgreeWithMatch(t *testing.T) {
	var members []member
	var all []*osv.Vulnerability
	ecos := []string{"Debian", "Debian:9", "Debian:10", "PyPI", "npm"}
	names := []string{"a", "A.b", "a-b", "c"}
	for i, e := range ecos {
		for j, n := range names {
			id := "R-" + string(rune('A'+i)) + string(rune('0'+j))
			data := rec(id, t1, []pkg{{e, n}}, "")
			members = append(members, member{name: id + ".json", data: data})
			v, err := osv.ParseJSON(id, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, v)
		}
	}
	dir := t.TempDir()
	mustImport(t, dir, writeZip(t, t.TempDir(), "all.zip", members))
	db := mustOpen(t, dir)
	for _, e := range append(ecos, "Debian:11", "pypi") {
		for _, n := range append(names, "a_B") {
			p := match.Package{Ecosystem: e, Name: n, Version: "0.5.0"}
			var want []string
			for _, v := range all {
				if hit, _, _ := match.Affects(v, p); hit {
					want = append(want, v.ID)
				}
			}
			if diff := cmp.Diff(want, lookupIDs(t, db, p)); diff != "" {
				t.Errorf("Advisories(%+v) vs match.Affects (-match +db):\n%s", p, diff)
			}
		}
	}
}

func TestAdvisoriesDedupAcrossSources(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	p := []pkg{{"npm", "a"}}
	older := writeFile(t, src, "x/GHSA-1.json", []byte(rec("GHSA-1", t1, p, `"details":"older"`)))
	newer := writeFile(t, src, "y/GHSA-1.json", []byte(rec("GHSA-1", t2, p, `"details":"newer"`)))
	m := mustImport(t, dir, newer, older)
	if m.Total != 1 {
		t.Errorf("Total = %d, want 1 distinct ID", m.Total)
	}
	vs, err := mustOpen(t, dir).Advisories(context.Background(), match.Package{Ecosystem: "npm", Name: "a"})
	if err != nil || len(vs) != 1 || vs[0].Details != "newer" {
		t.Fatalf("Advisories = %v, %v; want GHSA-1 once, the newer", ids(vs), err)
	}
}

func TestAdvisoriesConcurrentAndCached(t *testing.T) {
	dir := t.TempDir()
	mustImport(t, dir, writeFile(t, t.TempDir(), "A.json", []byte(rec("A", t1, []pkg{{"npm", "a"}}, ""))))
	db := mustOpen(t, dir)
	p := match.Package{Ecosystem: "npm", Name: "a"}
	got := make([]*osv.Vulnerability, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			vs, err := db.Advisories(context.Background(), p)
			if err != nil || len(vs) != 1 {
				t.Errorf("Advisories = %v, %v", vs, err)
				return
			}
			got[i] = vs[0]
		})
	}
	wg.Wait()
	for _, v := range got[1:] {
		if v != got[0] {
			t.Fatal("Advisories returned different copies of one record")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Advisories(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("Advisories(cancelled) = %v, want context.Canceled", err)
	}
}

func TestOpenNotFound(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	_, err := Open(dir)
	want := "no vulnerability database in " + dir + ": run `secpipe db update` or `secpipe db import`"
	if !errors.Is(err, pipeline.ErrNotFound) || err.Error() != want {
		t.Errorf("Open(empty) = %v, want %q matching ErrNotFound", err, want)
	}
}

func TestOpenDamaged(t *testing.T) {
	tests := []struct {
		name   string
		damage func(dir string, m Manifest) error
	}{
		{name: "bad CURRENT", damage: func(dir string, _ Manifest) error {
			return os.WriteFile(filepath.Join(dir, currentName), []byte("../etc\n"), 0o644)
		}},
		{name: "bad manifest", damage: func(dir string, m Manifest) error {
			return os.WriteFile(filepath.Join(dir, m.Generation, manifestName), []byte("{"), 0o644)
		}},
		{name: "future format", damage: func(dir string, m Manifest) error {
			m.FormatVersion = 99
			return writeManifest(filepath.Join(dir, m.Generation), m)
		}},
		{name: "truncated source file", damage: func(dir string, m Manifest) error {
			return os.Truncate(filepath.Join(dir, m.Generation, m.Sources[0].File), 70)
		}},
		{name: "flipped index byte", damage: func(dir string, m Manifest) error {
			f, err := os.OpenFile(filepath.Join(dir, m.Generation, m.Sources[0].File), os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			st, _ := f.Stat()
			_, err = f.WriteAt([]byte{0xff}, st.Size()-3)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := mustImport(t, dir, writeFile(t, t.TempDir(), "A.json", []byte(rec("A", t1, []pkg{{"npm", "a"}}, ""))))
			if err := tt.damage(dir, m); err != nil {
				t.Fatal(err)
			}
			if db, err := Open(dir); err == nil {
				db.Close()
				t.Fatal("Open(damaged) succeeded")
			}
		})
	}
}

func TestManifestAge(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    Manifest
		want time.Duration
	}{
		{name: "oldest check wins", m: Manifest{Sources: []SourceInfo{
			{CheckedAt: now.Add(-time.Hour)}, {CheckedAt: now.Add(-48 * time.Hour)}, {CheckedAt: now},
		}}, want: 48 * time.Hour},
		{name: "no source", m: Manifest{CreatedAt: now.Add(-time.Minute)}, want: time.Minute},
	}
	for _, tt := range tests {
		if got := tt.m.Age(now); got != tt.want {
			t.Errorf("%s: Age = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("SECPIPE_DB_DIR", "/var/db/x")
	if got, err := DefaultDir(); got != "/var/db/x" || err != nil {
		t.Errorf("DefaultDir with SECPIPE_DB_DIR = %q, %v", got, err)
	}
	t.Setenv("SECPIPE_DB_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, err := DefaultDir(); got != "/cache/secpipe/vulndb" || err != nil {
		t.Errorf("DefaultDir = %q, %v, want /cache/secpipe/vulndb", got, err)
	}
}

func TestLockSerializesCommands(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	ctx := context.Background()
	held, err := begin(ctx, dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Import(ctx, dir, []string{writeFile(t, src, "A.json", []byte(rec("A", t1, []pkg{{"npm", "a"}}, "")))}, ImportOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Import finished (%v) while another command held the lock", err)
	case <-time.After(150 * time.Millisecond):
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := Remove(short, dir, "x", ImportOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Remove while locked = %v, want DeadlineExceeded", err)
	}
	held.close()
	if err := <-done; err != nil {
		t.Fatalf("Import after the lock was released = %v", err)
	}

	// Concurrent imports of different sources must all land.
	var wg sync.WaitGroup
	for _, id := range []string{"B", "C", "D", "E"} {
		path := writeFile(t, src, id+"/"+id+".json", []byte(rec(id, t1, []pkg{{"npm", "a"}}, "")))
		wg.Go(func() {
			if _, err := Import(ctx, dir, []string{path}, ImportOptions{}); err != nil {
				t.Errorf("Import(%s) = %v", path, err)
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"A", "B", "C", "D", "E"}, lookupIDs(t, mustOpen(t, dir), match.Package{Ecosystem: "npm", Name: "a"})); diff != "" {
		t.Errorf("after concurrent imports (-want +got):\n%s", diff)
	}
}

func TestManifestCovers(t *testing.T) {
	m := Manifest{Ecosystems: map[string]int{"Go": 10, "Debian": 3, "Alpine:v3.18": 2}}
	for eco, want := range map[string]bool{
		"Go": true, "Debian:9": true, "Debian": true, "Alpine:v3.18": true, "Alpine:v3.19": false, "PyPI": false,
	} {
		if got := m.Covers(eco); got != want {
			t.Errorf("Covers(%q) = %v, want %v", eco, got, want)
		}
	}
}
