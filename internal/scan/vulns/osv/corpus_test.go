package osv

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sharedData finds ../shared/data beside the repository root (the directory
// holding go.mod, walking up from the package). It skips the test when the
// data is absent, and fails under CI, which always has it.
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

// record is one raw record of a corpus.
type record struct {
	name string
	data []byte
}

// zipRecords reads every file of an osv.dev all.zip.
func zipRecords(t testing.TB, path string) []record {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	recs := make([]record, 0, len(z.File))
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		recs = append(recs, record{name: f.Name, data: b})
	}
	return recs
}

// dirRecords reads every file under root whose name ends in ext.
func dirRecords(t testing.TB, root, ext string) []record {
	t.Helper()
	var recs []record
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ext) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		recs = append(recs, record{name: filepath.ToSlash(rel), data: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// corpusStats is what parsing a corpus leniently found.
type corpusStats struct {
	records, parsed, warned, skipped int
	why                              map[string]int // warning or error pattern → count
	severity                         map[string]int // "high CVSS:3.1" → count
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// fieldPattern drops the indices from a field path, so that warnings can
// be counted by field: affected[2].ranges[0] → affected[].ranges[].
func fieldPattern(field string) string { return indexRE.ReplaceAllString(field, "[]") }

// parseCorpus parses every record leniently and checks what must hold for
// each: a kept record re-encodes into one that parses strictly to the same
// value; a record without warnings parses strictly too.
func parseCorpus(t *testing.T, recs []record) corpusStats {
	t.Helper()
	st := corpusStats{why: map[string]int{}, severity: map[string]int{}}
	for _, r := range recs {
		st.records++
		v, warns, err := ParseLenient(r.name, r.data)
		if err != nil {
			st.skipped++
			st.why["skipped: "+problemKey(err)]++
			continue
		}
		st.parsed++
		if len(warns) > 0 {
			st.warned++
		}
		for _, w := range warns {
			st.why[fieldPattern(w.Field)]++
		}
		if _, err := Parse(r.name, r.data); (err == nil) != (len(warns) == 0) {
			t.Errorf("Parse(%s) = %v, but lenient parsing warned %d times", r.name, err, len(warns))
		}
		checkRoundTrip(t, r.name, v)
		sev, _, src := v.Severity()
		st.severity[strings.TrimSpace(sev.String()+" "+src)]++
	}
	return st
}

func problemKey(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fieldPattern(fe.Field)
	}
	return err.Error()
}

func (st corpusStats) log(t *testing.T, name string) {
	t.Helper()
	t.Logf("%s: %d records, %d parsed (%d with warnings), %d skipped", name, st.records, st.parsed, st.warned, st.skipped)
	for _, k := range sortedKeys(st.why) {
		t.Logf("  %5d  %s", st.why[k], k)
	}
	var sev []string
	for _, k := range sortedKeys(st.severity) {
		sev = append(sev, fmt.Sprintf("%s=%d", k, st.severity[k]))
	}
	t.Logf("  severity: %s", strings.Join(sev, ", "))
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCorpus parses every advisory of the shared data: the Go vulnerability
// database's all.zip, RustSec, the PyPA database (YAML), AlmaLinux and
// osv.dev's sample records. Every record must parse; the warnings are
// pinned: seven PyPA records give GIT ranges abbreviated or mangled commits
// ("cb35df940a", "….patch"), which lenient parsing drops while keeping their
// ECOSYSTEM ranges and versions. The severity counts are pinned too: Go
// records carry none; RustSec's 417 CVSS vectors all score and its
// informational advisories are info; AlmaLinux's summary words map onto the
// Red Hat scale.
func TestCorpus(t *testing.T) {
	data := sharedData(t)
	tests := []struct {
		name     string
		records  func(t *testing.T) []record
		want     int            // records in the snapshot
		warned   map[string]int // warnings by field pattern
		severity map[string]int // records by "severity source"
	}{
		{
			name:     "go-vulndb",
			records:  func(t *testing.T) []record { return zipRecords(t, filepath.Join(data, "go-vulndb", "all.zip")) },
			want:     4789,
			severity: map[string]int{"unknown": 4789},
		},
		{
			name: "rustsec",
			records: func(t *testing.T) []record {
				return dirRecords(t, filepath.Join(data, "rustsec-osv", "crates"), ".json")
			},
			want: 1206,
			severity: map[string]int{
				"critical CVSS:3.0": 11, "critical CVSS:3.1": 63, "critical CVSS:4.0": 7,
				"high CVSS:3.0": 14, "high CVSS:3.1": 163, "high CVSS:4.0": 19,
				"medium CVSS:3.0": 8, "medium CVSS:3.1": 84, "medium CVSS:4.0": 20,
				"low CVSS:3.1": 17, "low CVSS:4.0": 8, "info CVSS:4.0": 3,
				"info RustSec": 438, "unknown": 351,
			},
		},
		{
			name: "pypa",
			records: func(t *testing.T) []record {
				return dirRecords(t, filepath.Join(data, "pypa-advisory-database", "vulns"), ".yaml")
			},
			want:   2661,
			warned: map[string]int{"affected[].ranges[].events[]": 7},
			severity: map[string]int{
				"critical CVSS:3.1": 34, "high CVSS:3.0": 2, "high CVSS:3.1": 72, "medium CVSS:3.0": 8,
				"medium CVSS:3.1": 78, "low CVSS:3.1": 8, "unknown": 2459,
			},
		},
		{
			name: "almalinux",
			records: func(t *testing.T) []record {
				return dirRecords(t, filepath.Join(data, "almalinux-osv", "advisories"), ".json")
			},
			want: 5680,
			severity: map[string]int{
				"critical AlmaLinux": 34, "high AlmaLinux": 2386, "medium AlmaLinux": 1908, "low AlmaLinux": 154,
				"unknown": 1198,
			},
		},
		{
			name: "osv.dev",
			records: func(t *testing.T) []record {
				return dirRecords(t, filepath.Join(data, "osv.dev-testdata", "gcp", "website", "testdata", "osv"), ".json")
			},
			want:     26,
			severity: map[string]int{"unknown": 26},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs := tt.records(t)
			st := parseCorpus(t, recs)
			st.log(t, tt.name)
			if st.records != tt.want {
				t.Errorf("%s: %d records, want %d", tt.name, st.records, tt.want)
			}
			if st.parsed != st.records {
				t.Errorf("%s: %d of %d records parsed, want all", tt.name, st.parsed, st.records)
			}
			if d := cmp.Diff(tt.warned, st.why, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("%s: warnings by field (-want +got):\n%s", tt.name, d)
			}
			if d := cmp.Diff(tt.severity, st.severity); d != "" {
				t.Errorf("%s: records by severity and source (-want +got):\n%s", tt.name, d)
			}
		})
	}
}

// checkRoundTrip re-encodes a parsed record and parses it strictly again:
// the result must be the same record. Comparing the two encodings is as
// strict as comparing the records (every field is encoded) and much
// cheaper, which matters over the corpora; a mismatch is shown as a diff.
func checkRoundTrip(t testing.TB, name string, v *Vulnerability) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%s) = %v", name, err)
	}
	v2, err := ParseJSON(name, b)
	if err != nil {
		t.Fatalf("ParseJSON(marshalled %s) = %v, want the record back\n%s", name, err, b)
	}
	b2, err := json.Marshal(v2)
	if err != nil {
		t.Fatalf("json.Marshal(re-parsed %s) = %v", name, err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("%s: re-parsed record differs (-parsed +re-parsed):\n%s", name, diffRecords(v, v2))
	}
}

// TestNotOSV feeds osv.dev's converter fragments, which are not OSV
// records: each must be refused with an error naming the file.
func TestNotOSV(t *testing.T) {
	data := sharedData(t)
	recs := dirRecords(t, filepath.Join(data, "osv.dev-testdata", "vulnfeeds"), ".json")
	if len(recs) == 0 {
		t.Fatal("no converter fragments found")
	}
	for _, r := range recs {
		v, _, err := ParseLenient(r.name, r.data)
		if err == nil {
			t.Errorf("ParseLenient(%s) = %+v, want an error", r.name, v)
			continue
		}
		if !strings.HasPrefix(err.Error(), r.name+": ") {
			t.Errorf("ParseLenient(%s) = %v, want the file named first", r.name, err)
		}
	}
}
