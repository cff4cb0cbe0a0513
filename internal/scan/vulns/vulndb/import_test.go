package vulndb

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
)

const (
	t1 = "2024-01-01T00:00:00Z"
	t2 = "2024-06-01T00:00:00Z"
)

func TestImportKinds(t *testing.T) {
	src := t.TempDir()
	goPkg := []pkg{{"Go", "example.com/a"}}
	yamlRec := "id: PYSEC-1\nmodified: " + t1 + "\naffected:\n- package: {ecosystem: PyPI, name: Foo_Bar}\n" +
		"  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n"
	tests := []struct {
		name     string
		path     string
		kind     SourceKind
		wantIDs  []string
		lookup   match.Package
		wantEcos map[string]int
	}{
		{
			name:     "json file",
			path:     writeFile(t, src, "one/GO-1.json", []byte(rec("GO-1", t1, goPkg, ""))),
			kind:     KindFile,
			wantIDs:  []string{"GO-1"},
			lookup:   match.Package{Ecosystem: "Go", Name: "example.com/a"},
			wantEcos: map[string]int{"Go": 1},
		},
		{
			name:     "yaml file",
			path:     writeFile(t, src, "PYSEC-1.yaml", []byte(yamlRec)),
			kind:     KindFile,
			wantIDs:  []string{"PYSEC-1"},
			lookup:   match.Package{Ecosystem: "PyPI", Name: "foo.bar"},
			wantEcos: map[string]int{"PyPI": 1},
		},
		{
			name: "folder",
			path: func() string {
				d := filepath.Join(src, "tree")
				writeFile(t, d, "a/GO-2.json", []byte(rec("GO-2", t1, goPkg, "")))
				writeFile(t, d, "a/b/GO-3.yml", []byte(rec("GO-3", t1, goPkg, "")))
				writeFile(t, d, "README.md", []byte("not a record"))
				writeFile(t, d, ".git/GO-4.json", []byte(rec("GO-4", t1, goPkg, "")))
				writeFile(t, d, ".hidden.json", []byte(rec("GO-5", t1, goPkg, "")))
				return d
			}(),
			kind:     KindDir,
			wantIDs:  []string{"GO-2", "GO-3"},
			lookup:   match.Package{Ecosystem: "Go", Name: "example.com/a"},
			wantEcos: map[string]int{"Go": 2},
		},
		{
			name: "zip",
			path: writeZip(t, src, "all.zip", []member{
				{name: "GO-6.json", data: rec("GO-6", t1, goPkg, "")},
				{name: "GO-7.json", data: rec("GO-7", t1, append(goPkg, pkg{"npm", "left-pad"}), "")},
				{name: "LICENSE", data: "text"},
			}),
			kind:     KindZip,
			wantIDs:  []string{"GO-6", "GO-7"},
			lookup:   match.Package{Ecosystem: "Go", Name: "example.com/a"},
			wantEcos: map[string]int{"Go": 2, "npm": 1},
		},
		{
			name: "zip without extension",
			path: writeFile(t, src, "mirror.bin", zipBytes(t, []member{
				{name: "GO-8.json", data: rec("GO-8", t1, goPkg, "")},
			})),
			kind:     KindZip,
			wantIDs:  []string{"GO-8"},
			lookup:   match.Package{Ecosystem: "Go", Name: "example.com/a"},
			wantEcos: map[string]int{"Go": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := mustImport(t, dir, tt.path)
			if len(m.Sources) != 1 {
				t.Fatalf("Import(%s): %d sources, want 1", tt.path, len(m.Sources))
			}
			s := m.Sources[0]
			if s.Name != tt.path || s.Kind != tt.kind || s.Records != len(tt.wantIDs) || len(s.SHA256) != 64 {
				t.Errorf("source = %+v, want name %s, kind %s, %d records, a SHA-256", s, tt.path, tt.kind, len(tt.wantIDs))
			}
			if diff := cmp.Diff(tt.wantEcos, s.Ecosystems); diff != "" {
				t.Errorf("source ecosystems (-want +got):\n%s", diff)
			}
			if m.Total != len(tt.wantIDs) {
				t.Errorf("Total = %d, want %d", m.Total, len(tt.wantIDs))
			}
			db := mustOpen(t, dir)
			if diff := cmp.Diff(tt.wantIDs, lookupIDs(t, db, tt.lookup)); diff != "" {
				t.Errorf("Advisories(%+v) (-want +got):\n%s", tt.lookup, diff)
			}
		})
	}
}

func TestImportWarningsWithdrawnDuplicates(t *testing.T) {
	goPkg := []pkg{{"Go", "m"}}
	src := writeZip(t, t.TempDir(), "all.zip", []member{
		{name: "GO-1.json", data: rec("GO-1", t1, goPkg, `"withdrawn":"2024-02-01T00:00:00Z"`)},
		{name: "GO-2.json", data: rec("GO-2", t1, goPkg, "")},
		{name: "GO-2-new.json", data: rec("GO-2", t2, goPkg, `"details":"newer"`)},
		{name: "GO-2-old.json", data: rec("GO-2", "2023-01-01T00:00:00Z", goPkg, "")},
		{name: "bad.json", data: `{"id":"GO-3","modified":"last week"}`},
		{name: "part.json", data: rec("GO-4", t1, goPkg, `"severity":[{"type":"CVSS_V3","score":"nonsense"}]`)},
	})
	var warnings []string
	m, err := Import(context.Background(), t.TempDir(), []string{src}, ImportOptions{
		Warn: func(err error) { warnings = append(warnings, err.Error()) },
	})
	if err != nil {
		t.Fatalf("Import = %v", err)
	}
	s := m.Sources[0]
	want := [5]int{2, 1, 1, 2, 2} // records, skipped, withdrawn, duplicates, warnings
	got := [5]int{s.Records, s.Skipped, s.Withdrawn, s.Duplicates, s.Warnings}
	if got != want {
		t.Errorf("records, skipped, withdrawn, duplicates, warnings = %v, want %v", got, want)
	}
	if len(warnings) != 2 ||
		!strings.Contains(warnings[0], src+":bad.json: modified:") ||
		!strings.Contains(warnings[1], src+":part.json: severity[0]") {
		t.Errorf("warnings = %q, want bad.json's modified and part.json's severity[0]", warnings)
	}
}

func TestImportLaterModifiedWins(t *testing.T) {
	goPkg := []pkg{{"Go", "m"}}
	dir := t.TempDir()
	src := writeZip(t, t.TempDir(), "all.zip", []member{
		{name: "new.json", data: rec("GO-2", t2, goPkg, `"details":"newer"`)},
		{name: "old.json", data: rec("GO-2", t1, goPkg, `"details":"older"`)},
	})
	mustImport(t, dir, src)
	vs, err := mustOpen(t, dir).Advisories(context.Background(), match.Package{Ecosystem: "Go", Name: "m"})
	if err != nil || len(vs) != 1 || vs[0].Details != "newer" {
		t.Fatalf("Advisories = %v, %v, want the newer GO-2 only", vs, err)
	}
}

func TestImportReplacesOneSource(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	a := writeFile(t, src, "a/A-1.json", []byte(rec("A-1", t1, []pkg{{"npm", "a"}}, "")))
	b := writeFile(t, src, "b.json", []byte(rec("B-1", t1, []pkg{{"npm", "b"}}, "")))
	mustImport(t, dir, filepath.Dir(a), b)
	os.Remove(a)
	writeFile(t, src, "a/A-2.json", []byte(rec("A-2", t1, []pkg{{"npm", "a"}}, "")))
	m := mustImport(t, dir, filepath.Dir(a))
	if len(m.Sources) != 2 || m.Total != 2 {
		t.Fatalf("sources %d, total %d, want 2 and 2", len(m.Sources), m.Total)
	}
	db := mustOpen(t, dir)
	if diff := cmp.Diff([]string{"A-2"}, lookupIDs(t, db, match.Package{Ecosystem: "npm", Name: "a"})); diff != "" {
		t.Errorf("after re-import, npm/a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"B-1"}, lookupIDs(t, db, match.Package{Ecosystem: "npm", Name: "b"})); diff != "" {
		t.Errorf("after re-import, npm/b (-want +got):\n%s", diff)
	}

	m, err := Remove(context.Background(), dir, b, ImportOptions{})
	if err != nil || len(m.Sources) != 1 || m.Total != 1 {
		t.Fatalf("Remove = %d sources, total %d, %v; want 1, 1", len(m.Sources), m.Total, err)
	}
	if _, err := Remove(context.Background(), dir, b, ImportOptions{}); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Remove twice = %v, want ErrNotFound", err)
	}
	if got := lookupIDs(t, mustOpen(t, dir), match.Package{Ecosystem: "npm", Name: "b"}); got != nil {
		t.Errorf("after Remove, npm/b = %v, want none", got)
	}
}

func TestImportFailureKeepsDatabase(t *testing.T) {
	src := t.TempDir()
	good := writeZip(t, src, "good.zip", []member{{name: "A-1.json", data: rec("A-1", t1, []pkg{{"npm", "a"}}, "")}})
	valid := zipBytes(t, []member{{name: "B-1.json", data: rec("B-1", t1, []pkg{{"npm", "a"}}, ""), store: true}})
	crc := bytes.Replace(valid, []byte(`"B-1"`), []byte(`"B-2"`), 1)
	tests := []struct {
		name string
		path string
	}{
		{name: "not a zip", path: writeFile(t, src, "junk.zip", []byte("PK\x03\x04 but nothing else"))},
		{name: "truncated", path: writeFile(t, src, "trunc.zip", valid[:len(valid)-30])},
		{name: "crc mismatch", path: writeFile(t, src, "crc.zip", crc)},
		{name: "missing", path: filepath.Join(src, "missing.zip")},
		{name: "empty zip", path: writeZip(t, src, "empty.zip", nil)},
		{name: "no parsable record", path: writeZip(t, src, "bad.zip", []member{{name: "x.json", data: "{"}})},
		{name: "bad record file", path: writeFile(t, src, "bad.json", []byte(`{"id":""}`))},
		{name: "empty folder", path: filepath.Join(src, "empty")},
	}
	os.Mkdir(filepath.Join(src, "empty"), 0o755)
	pkgs := []match.Package{{Ecosystem: "npm", Name: "a"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustImport(t, dir, good)
			before := takeSnapshot(t, dir, pkgs)
			_, err := Import(context.Background(), dir, []string{tt.path, good}, ImportOptions{})
			if err == nil {
				t.Fatalf("Import(%s) succeeded, want an error", tt.path)
			}
			t.Logf("Import(%s) = %v", tt.path, err)
			after := takeSnapshot(t, dir, pkgs)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("database changed by a failed import (-before +after):\n%s", diff)
			}
		})
	}
}

func TestImportRejectsURL(t *testing.T) {
	_, err := Import(context.Background(), t.TempDir(), []string{"https://example.com/all.zip"}, ImportOptions{})
	if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "db update") {
		t.Errorf("Import(URL) = %v, want ErrInvalid pointing to db update", err)
	}
	if _, err := Import(context.Background(), t.TempDir(), nil, ImportOptions{}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Import(nothing) = %v, want ErrInvalid", err)
	}
}

func TestCrashLeftoversIgnoredThenSwept(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, t.TempDir(), "A-1.json", []byte(rec("A-1", t1, []pkg{{"npm", "a"}}, "")))
	m := mustImport(t, dir, src)
	writeFile(t, dir, "gen-crashed/manifest.json", []byte("{half"))
	writeFile(t, dir, "gen-crashed/0123.src", []byte("half"))
	writeFile(t, dir, "download-123", []byte("PK"))
	writeFile(t, dir, "CURRENT.tmp", []byte("gen-crashed\n"))
	db := mustOpen(t, dir)
	if got := db.Manifest().Generation; got != m.Generation {
		t.Errorf("Open chose generation %s, want %s", got, m.Generation)
	}
	m = mustImport(t, dir, src)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{currentName, lockName, m.Generation}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("directory after the next import (-want +got):\n%s", diff)
	}
	if got := lookupIDs(t, db, match.Package{Ecosystem: "npm", Name: "a"}); len(got) != 1 {
		t.Errorf("a DB opened before the swap finds %v, want A-1", got)
	}
}
