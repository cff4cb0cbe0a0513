package pomxml

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

func mavenPkg(name, version, location string) sbom.Package {
	return sbom.Package{Name: name, Version: version, Ecosystem: "Maven", Locations: []string{location}}
}

func TestExtract(t *testing.T) {
	root, err := rootfs.NewDirRoot("testdata")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tests := []struct {
		path string
		want []sbom.Package
	}{
		{path: "parent/child/pom.xml", want: []sbom.Package{
			mavenPkg("org.springframework:spring-web", "5.3.18", "parent/child/pom.xml"),
			mavenPkg("com.fasterxml.jackson.core:jackson-databind", "2.13.2", "parent/child/pom.xml"),
			mavenPkg("org.example:shop-core", "2.3.0", "parent/child/pom.xml"),
			mavenPkg("org.postgresql:postgresql", "42.3.3", "parent/child/pom.xml"),
			mavenPkg("org.slf4j:slf4j-api", "", "parent/child/pom.xml"),
		}},
		{path: "parent/pom.xml"},
		{path: "latin1/pom.xml", want: []sbom.Package{mavenPkg("commons-io:commons-io", "2.6", "latin1/pom.xml")}},
	}
	x := New()
	for _, tt := range tests {
		e, ok := root.Lookup(tt.path)
		if !ok || !x.Wants(e) {
			t.Fatalf("Wants(%s) = false or missing", tt.path)
		}
		got, err := x.Extract(context.Background(), root, e)
		if err != nil {
			t.Errorf("Extract(%s): %v", tt.path, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Extract(%s) mismatch (-want +got):\n%s", tt.path, diff)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name, pom, want string
	}{
		{name: "not XML", pom: "{}", want: "pom.xml: pom: EOF"},
		{name: "unknown encoding", pom: `<?xml version="1.0" encoding="EBCDIC"?><project/>`, want: `unsupported encoding "EBCDIC"`},
	}
	for _, tt := range tests {
		e := rootfs.Entry{Path: "pom.xml", Mode: 0o644, Size: int64(len(tt.pom))}
		root := rootfs.NewMemRoot([]rootfs.Entry{e}, map[string][]byte{"pom.xml": []byte(tt.pom)})
		_, err := New().Extract(context.Background(), root, e)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Extract error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{path: "pom.xml", want: true},
		{path: "a/b/pom.xml", want: true},
		{path: "m2/org/x/1.0/x-1.0.pom", want: true},
		{path: "pom.xml.bak"},
		{path: "build.gradle"},
	}
	for _, tt := range tests {
		if got := New().Wants(rootfs.Entry{Path: tt.path, Mode: 0o644}); got != tt.want {
			t.Errorf("Wants(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestResolvedVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "1.2.3", want: "1.2.3"},
		{in: "[1.2,2.0)", want: "1.2"},
		{in: "(,1.0]", want: ""},
		{in: "[1.5]", want: "1.5"},
		{in: "${x.version}", want: ""},
		{in: " 2.0 ", want: "2.0"},
	}
	for _, tt := range tests {
		if got := resolvedVersion(tt.in); got != tt.want {
			t.Errorf("resolvedVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzExtract checks that no pom makes the extractor panic, loop on its
// parents or return a package without a name.
func FuzzExtract(f *testing.F) {
	for _, p := range []string{"testdata/parent/child/pom.xml", "testdata/parent/pom.xml", "testdata/latin1/pom.xml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<project><parent><artifactId>x</artifactId><relativePath>.</relativePath></parent></project>`))
	f.Add([]byte(`<project><properties><a>${b}</a><b>${a}</b></properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${a}</version></dependency></dependencies></project>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := rootfs.Entry{Path: "m/pom.xml", Mode: 0o644, Size: int64(len(data))}
		// The pom is also its own parent, to exercise the loop guard.
		parent := rootfs.Entry{Path: "pom.xml", Mode: 0o644, Size: int64(len(data))}
		root := rootfs.NewMemRoot([]rootfs.Entry{e, parent}, map[string][]byte{e.Path: data, parent.Path: data})
		pkgs, _ := New().Extract(context.Background(), root, e)
		for _, p := range pkgs {
			if p.Name == "" || !strings.Contains(p.Name, ":") {
				t.Errorf("package %+v, want a group:artifact name", p)
			}
		}
	})
}
