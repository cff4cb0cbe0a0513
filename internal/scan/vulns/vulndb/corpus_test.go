package vulndb

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// corpusWant parses every record file under root on its own and returns
// what an import must count: the latest record of each ID and how many
// files failed to parse.
func corpusWant(t *testing.T, root string) (latest map[string]*osv.Vulnerability, skipped int) {
	t.Helper()
	latest = map[string]*osv.Vulnerability{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") || !isRecordName(path) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v, _, err := osv.ParseLenient(path, data)
		if err != nil {
			skipped++
			return nil
		}
		if prev := latest[v.ID]; prev == nil || !v.Modified.Before(prev.Modified) {
			latest[v.ID] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return latest, skipped
}

// sampleCorpus returns root itself, or under the race detector or -short a
// folder of symbolic links to every 10th record file of root, so that the
// data stays where it is.
func sampleCorpus(t *testing.T, root string) string {
	t.Helper()
	if !raceEnabled && !testing.Short() {
		return root
	}
	dir, n := t.TempDir(), 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRecordName(path) {
			return err
		}
		if n++; n%10 != 0 {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		link := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		return os.Symlink(path, link)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImportSharedCorpora imports real databases and checks the counts
// against parsing each record independently, then looks a sample of the
// records up by their first affected package.
func TestImportSharedCorpora(t *testing.T) {
	data := sharedData(t)
	corpora := []struct {
		name string
		path string
	}{
		{name: "AlmaLinux", path: filepath.Join(data, "almalinux-osv", "advisories")},
		{name: "RustSec", path: filepath.Join(data, "rustsec-osv", "crates")},
		{name: "PyPA YAML", path: filepath.Join(data, "pypa-advisory-database", "vulns")},
	}
	for _, c := range corpora {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := sampleCorpus(t, c.path)
			latest, skipped := corpusWant(t, root)
			records, withdrawn := 0, 0
			for _, v := range latest {
				if v.IsWithdrawn() {
					withdrawn++
				} else {
					records++
				}
			}
			dir := t.TempDir()
			m := mustImport(t, dir, root)
			s := m.Sources[0]
			if s.Records != records || s.Withdrawn != withdrawn || s.Skipped != skipped {
				t.Errorf("records, withdrawn, skipped = %d, %d, %d; want %d, %d, %d",
					s.Records, s.Withdrawn, s.Skipped, records, withdrawn, skipped)
			}
			t.Logf("%s: %d records, %d withdrawn, %d skipped, %d warnings, ecosystems %v",
				c.name, s.Records, s.Withdrawn, s.Skipped, s.Warnings, s.Ecosystems)
			checkConsistent(t, dir)
			db := mustOpen(t, dir)
			n := 0
			for id, v := range latest {
				if n++; n%40 != 0 || v.IsWithdrawn() || len(v.Affected) == 0 || v.Affected[0].Package.Name == "" {
					continue
				}
				ap := v.Affected[0].Package
				p := match.Package{Ecosystem: ap.Ecosystem, Name: ap.Name}
				vs, err := db.Advisories(context.Background(), p)
				if err != nil {
					t.Fatalf("Advisories(%+v) = %v", p, err)
				}
				if !containsID(vs, id) {
					t.Errorf("Advisories(%+v) = %v, missing %s", p, ids(vs), id)
				}
			}
		})
	}
}

func containsID(vs []*osv.Vulnerability, id string) bool {
	for _, v := range vs {
		if v.ID == id {
			return true
		}
	}
	return false
}
