package vulndb

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/scan/vulns/match"
)

// checkConsistent opens dir and checks that every stored record decodes,
// is not withdrawn, is indexed under each of its keys and is counted.
func checkConsistent(t *testing.T, dir string) {
	t.Helper()
	db := mustOpen(t, dir)
	m := db.Manifest()
	for si, s := range db.sources {
		if m.Sources[si].Records != s.nrec {
			t.Errorf("%s: manifest counts %d records, index %d", m.Sources[si].Name, m.Sources[si].Records, s.nrec)
		}
		for r := range uint32(s.nrec) {
			v, err := db.record(recRef{si, r})
			if err != nil {
				t.Fatalf("record %d: %v", r, err)
			}
			if v.ID != s.meta(r).id || v.IsWithdrawn() {
				t.Errorf("record %d is %s (withdrawn %v), index says %s", r, v.ID, v.IsWithdrawn(), s.meta(r).id)
			}
			for _, k := range recordKeys(v) {
				if !slices.Contains(s.postings(k), r) {
					t.Errorf("record %s not indexed under %q", v.ID, k)
				}
			}
		}
	}
}

// FuzzImportZip imports arbitrary bytes as an all.zip over a database that
// holds another source. Properties: no panic; on error the database is
// exactly as before; on success it is consistent and the other source is
// untouched. One database serves every input, as re-imports replace the
// archive's source: file system work dominates the cost of an input.
func FuzzImportZip(f *testing.F) {
	good := zipBytes(f, goRecords("GO-1", "GO-2"))
	f.Add(good)
	f.Add(zipBytes(f, []member{
		{name: "a.json", data: rec("A", t1, []pkg{{"PyPI", "Foo.Bar"}, {"Debian:9", "x"}}, ""), store: true},
		{name: "w.json", data: rec("W", t1, []pkg{{"npm", "w"}}, `"withdrawn":"2024-01-01T00:00:00Z"`)},
		{name: "bad.json", data: `{"id":"B"}`},
		{name: "dir/", data: ""},
	}))
	f.Add(zipBytes(f, nil))
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	dir, src := f.TempDir(), f.TempDir()
	mustImport(f, dir, writeFile(f, src, "O-1.json", []byte(rec("O-1", t1, []pkg{{"npm", "o"}}, ""))))
	other := []match.Package{{Ecosystem: "npm", Name: "o"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := takeSnapshot(t, dir, other)
		path := writeFile(t, src, "all.zip", data)
		_, err := Import(context.Background(), dir, []string{path}, ImportOptions{})
		if err != nil {
			if diff := cmp.Diff(before, takeSnapshot(t, dir, other)); diff != "" {
				t.Fatalf("failed import (%v) changed the database (-before +after):\n%s", err, diff)
			}
			return
		}
		checkConsistent(t, dir)
		if got := lookupIDs(t, mustOpen(t, dir), other[0]); !slices.Contains(got, "O-1") {
			t.Errorf("other source lost: npm/o finds %v", got)
		}
	})
}
