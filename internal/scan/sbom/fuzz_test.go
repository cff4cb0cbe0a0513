package sbom_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

// addFiles adds the files matching pattern as seeds.
func addFiles(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzReadDocument checks that reading any document neither panics nor
// returns an inventory that fails to write.
func FuzzReadDocument(f *testing.F) {
	addFiles(f, "testdata/golden/*.cdx.json")
	addFiles(f, "testdata/golden/*.spdx.json")
	addFiles(f, "testdata/foreign/*")
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","purl":"pkg:npm/%40a/b@1?x=%zz"}]}`))
	f.Add([]byte("SPDXVersion: SPDX-2.3\nPackageName: x\nExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/x@1?distro=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := sbom.ReadDocument("fuzz", data)
		if err != nil {
			return
		}
		var b strings.Builder
		if err := sbom.WriteCycloneDX(&b, inv, sbom.Meta{}); err != nil {
			t.Errorf("WriteCycloneDX(read inventory): %v", err)
		}
	})
}

// fuzzExtractor runs one extractor through the adapter on data stored at
// path; a panic of the extractor must come back as an error.
func fuzzExtractor(t *testing.T, x sbom.Extractor, path string, data []byte) {
	e := rootfs.Entry{Path: path, Mode: 0o644, Size: int64(len(data))}
	root := rootfs.NewMemRoot([]rootfs.Entry{e}, map[string][]byte{path: data})
	if !x.Wants(e) {
		t.Fatalf("%s does not want %s", x.Name(), path)
	}
	pkgs, err := x.Extract(context.Background(), root, e)
	if err != nil && strings.Contains(err.Error(), "panicked") {
		t.Errorf("Extract(%q): %v", data, err)
	}
	for _, p := range pkgs {
		if p.Name == "" || len(p.Locations) == 0 {
			t.Errorf("Extract(%q) gave %+v, want a name and a location", data, p)
		}
	}
}

func FuzzPackageLockJSON(f *testing.F) {
	addFiles(f, "testdata/source/web/package-lock.json")
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2"}}}}}`))
	f.Add([]byte(`{"packages":{"node_modules/x":{"version":null}}}`))
	x := sbom.Scalibr(packagelockjson.New)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtractor(t, x, "app/package-lock.json", data) })
}

func FuzzYarnLock(f *testing.F) {
	addFiles(f, "testdata/source/web/yarn.lock")
	f.Add([]byte("__metadata:\n  version: 6\n\n\"a@npm:^1.0.0\":\n  version: 1.0.1\n  resolution: \"a@npm:1.0.1\"\n"))
	f.Add([]byte("\"@scope/x@^1\", \"@scope/x@^1.1\":\n  version \"1.2.0\"\n"))
	x := sbom.Scalibr(yarnlock.New)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtractor(t, x, "yarn.lock", data) })
}

func FuzzCargoLock(f *testing.F) {
	addFiles(f, "testdata/source/Cargo.lock")
	f.Add([]byte("[[package]]\nname = 1\nversion = [\"x\"]\n"))
	x := sbom.Scalibr(cargolock.New)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtractor(t, x, "Cargo.lock", data) })
}

func FuzzDpkgStatus(f *testing.F) {
	addFiles(f, "testdata/debian9/var/lib/dpkg/status")
	f.Add([]byte("Package: x\nStatus: install ok\nVersion: 1\n\n"))
	f.Add([]byte("Package: x\nStatus: install ok installed\nVersion: 1\nSource: y (2\n"))
	x := sbom.Scalibr(dpkg.New)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzExtractor(t, x, "var/lib/dpkg/status", data) })
}
