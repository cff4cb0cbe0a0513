package sbom_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

var testMeta = sbom.Meta{
	Target:      "oci:golden:v1",
	ToolVersion: "v0.1.0",
	Now:         time.Date(2026, 11, 5, 10, 30, 0, 0, time.UTC),
}

// writer is one document format.
type writer struct {
	name  string
	write func(w *bytes.Buffer, inv *sbom.Inventory, meta sbom.Meta) error
}

var writers = []writer{
	{name: "cdx", write: func(w *bytes.Buffer, inv *sbom.Inventory, m sbom.Meta) error { return sbom.WriteCycloneDX(w, inv, m) }},
	{name: "spdx", write: func(w *bytes.Buffer, inv *sbom.Inventory, m sbom.Meta) error { return sbom.WriteSPDX(w, inv, m) }},
}

func write(t *testing.T, w writer, inv *sbom.Inventory, meta sbom.Meta) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := w.write(&buf, inv, meta); err != nil {
		t.Fatalf("write %s: %v", w.name, err)
	}
	return buf.Bytes()
}

// fixtures are the inventories the document tests write.
func fixtures(t *testing.T) map[string]*sbom.Inventory {
	return map[string]*sbom.Inventory{
		"debian9":   collect(t, "testdata/debian9"),
		"alpine318": collect(t, "testdata/alpine318"),
		"source":    collect(t, "testdata/source"),
		"licenses": {Packages: []sbom.Package{
			{Name: "openssl-libs", Version: "1:3.0.7-25.el9_3", Ecosystem: "AlmaLinux:9",
				PURL:       "pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=almalinux-9.3&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm",
				SourceName: "openssl", SourceVersion: "3.0.7-25.el9_3", Locations: []string{"var/lib/rpm/rpmdb.sqlite"},
				Licenses: []string{"ASL 2.0"}},
			{Name: "zlib", Version: "1.2.13-r1", Ecosystem: "Alpine:v3.18",
				PURL: "pkg:apk/alpine/zlib@1.2.13-r1?distro=alpine-3.18", Licenses: []string{"Zlib"}},
			{Name: "requests_oauthlib", Version: "1.3.1", Ecosystem: "PyPI", PURL: "pkg:pypi/requests-oauthlib@1.3.1",
				Locations: []string{"a/requirements.txt", "b/requirements.txt"}, Licenses: []string{"BSD-3-Clause", "ISC"}},
		}},
		"empty": {},
	}
}

func TestWriteGolden(t *testing.T) {
	for name, inv := range fixtures(t) {
		for _, w := range writers {
			t.Run(name+"."+w.name, func(t *testing.T) {
				got := write(t, w, inv, testMeta)
				checkGolden(t, filepath.Join("testdata/golden", name+"."+w.name+".json"), got)
				if again := write(t, w, inv, testMeta); !bytes.Equal(got, again) {
					t.Error("writing the same inventory twice gave different bytes")
				}
			})
		}
	}
}

// TestWriteContentID checks that the serial number and namespace follow
// the content.
func TestWriteContentID(t *testing.T) {
	inv := collect(t, "testdata/debian9")
	other := *inv
	other.Packages = inv.Packages[1:]
	for _, w := range writers {
		a, b := write(t, w, inv, testMeta), write(t, w, &other, testMeta)
		field := map[string]string{"cdx": `"serialNumber"`, "spdx": `"documentNamespace"`}[w.name]
		if lineWith(a, field) == lineWith(b, field) {
			t.Errorf("%s: %s is the same for different inventories: %s", w.name, field, lineWith(a, field))
		}
	}
}

func lineWith(b []byte, s string) string {
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

func TestRoundTrip(t *testing.T) {
	for name, inv := range fixtures(t) {
		for _, w := range writers {
			t.Run(name+"."+w.name, func(t *testing.T) {
				doc := write(t, w, inv, testMeta)
				if !sbom.IsDocument("sbom.json", doc) {
					t.Fatal("IsDocument(written document) = false")
				}
				got, err := sbom.ReadDocument("sbom.json", doc)
				if err != nil {
					t.Fatalf("ReadDocument: %v", err)
				}
				want := inv.Packages
				if w.name == "spdx" {
					want = spdxLicenses(want)
				}
				if diff := cmp.Diff(want, got.Packages); diff != "" {
					t.Errorf("packages mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(inv.OS, got.OS); diff != "" {
					t.Errorf("OS mismatch (-want +got):\n%s", diff)
				}
				if len(got.Warnings) > 0 {
					t.Errorf("warnings = %q, want none", got.Warnings)
				}
			})
		}
	}
}

// spdxLicenses drops the licenses SPDX documents keep only as comments:
// those that are not all single identifiers.
func spdxLicenses(ps []sbom.Package) []sbom.Package {
	token := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)
	out := slices.Clone(ps)
	for i, p := range out {
		for _, l := range p.Licenses {
			if !token.MatchString(l) {
				out[i].Licenses = nil
			}
		}
	}
	return out
}

// TestCycloneDXSchema validates the written documents against the
// CycloneDX 1.6 JSON schema that cyclonedx-go's module ships.
func TestCycloneDXSchema(t *testing.T) {
	dir := moduleDir(t, "github.com/CycloneDX/cyclonedx-go")
	c := jsonschema.NewCompiler()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		path := filepath.Join(dir, "schema", f)
		if f == "jsf-0.82.schema.json" {
			path = filepath.Join(dir, "schema", "jsf-0.82.schemax.json")
		}
		doc := readJSON(t, path)
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, inv := range fixtures(t) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(write(t, writers[0], inv, testMeta)))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// moduleDir returns the module cache directory of a dependency, skipping
// the test when the go tool cannot tell.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to find the module cache with")
	}
	out, err := exec.Command(gotool, "list", "-m", "-f", "{{.Dir}}", module).Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("module %s is not in the module cache: %v", module, err)
	}
	return dir
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestReadForeign reads documents written by other tools (hand-written
// in their style): Syft's CycloneDX JSON, a CycloneDX XML document, SPDX
// JSON and tag-value.
func TestReadForeign(t *testing.T) {
	tests := []struct {
		file string
		want *sbom.Inventory
	}{
		{file: "syft.cdx.json", want: &sbom.Inventory{
			OS: &sbom.OS{ID: "debian", VersionID: "9", Name: "Debian GNU/Linux 9 (stretch)", Ecosystem: "Debian:9"},
			Packages: []sbom.Package{
				{Name: "linux-image-4.9.0-8-amd64", Version: "4.9.110-3+deb9u4", Ecosystem: "Debian:9",
					PURL:       "pkg:deb/debian/linux-image-4.9.0-8-amd64@4.9.110-3+deb9u4?arch=amd64&upstream=linux&distro=debian-9",
					SourceName: "linux", Locations: []string{"/var/lib/dpkg/status"}},
				{Name: "libssl1.1", Version: "1.1.0j-1~deb9u1", Ecosystem: "Debian:9",
					PURL:       "pkg:deb/debian/libssl1.1@1.1.0j-1~deb9u1?arch=amd64&upstream=openssl%401.1.0f-3%2Bdeb9u2&distro=debian-9",
					SourceName: "openssl", SourceVersion: "1.1.0f-3+deb9u2", Locations: []string{"/var/lib/dpkg/status"}},
				{Name: "github.com/Azure/go-autorest", Version: "14.2.0+incompatible", Ecosystem: "Go",
					PURL: "pkg:golang/github.com/Azure/go-autorest@v14.2.0+incompatible", Licenses: []string{"Apache-2.0"}},
			},
		}},
		{file: "small.cdx.xml", want: &sbom.Inventory{Packages: []sbom.Package{
			{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20"},
		}}},
		{file: "small.spdx.json", want: &sbom.Inventory{
			Packages: []sbom.Package{
				{Name: "openssl-libs", Version: "1:3.0.7-25.el9_3", Ecosystem: "AlmaLinux:9",
					PURL:       "pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm&distro=almalinux-9.3",
					SourceName: "openssl", SourceVersion: "3.0.7-25.el9_3", Licenses: []string{"Apache-2.0"}},
			},
			Warnings: []string{"small.spdx.json: 1 components without a purl were left out"},
		}},
		{file: "small.spdx", want: &sbom.Inventory{Packages: []sbom.Package{
			{Name: "musl", Version: "1.2.4-r2", Ecosystem: "Alpine:v3.18",
				PURL: "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4", Licenses: []string{"MIT"}},
		}}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata/foreign", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if !sbom.IsDocument(tt.file, data) {
			t.Errorf("IsDocument(%s) = false, want true", tt.file)
		}
		got, err := sbom.ReadDocument(tt.file, data)
		if err != nil {
			t.Errorf("ReadDocument(%s): %v", tt.file, err)
			continue
		}
		want := *tt.want
		want.Packages = sortPackages(want.Packages)
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("ReadDocument(%s) mismatch (-want +got):\n%s", tt.file, diff)
		}
	}
}

// sortPackages orders packages as inventories do.
func sortPackages(ps []sbom.Package) []sbom.Package {
	out := slices.Clone(ps)
	slices.SortFunc(out, func(a, b sbom.Package) int {
		if c := strings.Compare(a.Ecosystem, b.Ecosystem); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return out
}

func TestReadDocumentErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       string
		invalid    bool
	}{
		{name: "lock.json", data: `{"lockfileVersion": 3}`, want: "lock.json: invalid: not a CycloneDX or SPDX document", invalid: true},
		{name: "empty.json", data: ``, want: "empty.json: invalid", invalid: true},
		{name: "bad.cdx.json", data: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "x", "purl": "pkg:"}]}`,
			want: "bad.cdx.json: components[0].purl: invalid", invalid: true},
		{name: "nested.cdx.json", data: `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "a", "components": [{"type": "library", "name": "b", "purl": "npm/b"}]}]}`,
			want: "nested.cdx.json: components[0].components[0].purl: invalid", invalid: true},
		{name: "bad.spdx.json", data: `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [{"SPDXID": "SPDXRef-a", "name": "a", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:/x"}]}]}`,
			want: "bad.spdx.json: packages[0].externalRefs.purl: invalid", invalid: true},
		{name: "truncated.cdx.json", data: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [`, want: "truncated.cdx.json: cyclonedx:"},
		{name: "old.spdx.json", data: `{"spdxVersion": "SPDX-9.9"}`, want: "old.spdx.json: spdx:"},
	}
	for _, tt := range tests {
		_, err := sbom.ReadDocument(tt.name, []byte(tt.data))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ReadDocument(%s) error = %v, want one starting %q", tt.name, err, tt.want)
		}
		if tt.invalid && !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("ReadDocument(%s) error = %v, want pipeline.ErrInvalid", tt.name, err)
		}
	}
}

func TestIsDocument(t *testing.T) {
	big := `{"metadata": {"x": "` + strings.Repeat("y", 70<<10) + `"}, "bomFormat": "CycloneDX", "specVersion": "1.6"}`
	tests := []struct {
		name, data string
		want       bool
	}{
		{name: "sbom.json", data: `{"bomFormat":"CycloneDX","specVersion":"1.6"}`, want: true},
		{name: "with BOM and space", data: "\xef\xbb\xbf\n  {\"spdxVersion\": \"SPDX-2.3\"}", want: true},
		{name: "bomFormat after a large value", data: big, want: true},
		{name: "bom.xml", data: `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1"></bom>`, want: true},
		{name: "doc.spdx", data: "## comment\nSPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\n", want: true},
		{name: "package-lock.json", data: `{"name": "web", "lockfileVersion": 3}`},
		{name: "other.xml", data: `<project xmlns="http://maven.apache.org/POM/4.0.0"></project>`},
		{name: "cdx.json named but not", data: `{"bomFormat": "Other"}`},
		{name: "binary", data: "\x7fELF\x02\x01\x01"},
		{name: "empty", data: ""},
	}
	for _, tt := range tests {
		if got := sbom.IsDocument(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("IsDocument(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
