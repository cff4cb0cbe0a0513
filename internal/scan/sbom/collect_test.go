package sbom_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/scan/sbom/extractors"

	"github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/extractor/filesystem"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// collect opens target as the command line does and takes its inventory.
func collect(t *testing.T, target string) *sbom.Inventory {
	t.Helper()
	ex := extractors.Default()
	root, kind, err := rootfs.Open(target, rootfs.Options{Keep: sbom.Keep(ex)})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := root.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	inv, err := sbom.Collect(context.Background(), root, kind, sbom.Config{Extractors: ex})
	if err != nil {
		t.Fatalf("Collect(%s): %v", target, err)
	}
	return inv
}

// debianPackage is one package of testdata/debian9.
func debianPackage(name, version, source, sourceVersion, purl string) sbom.Package {
	return sbom.Package{Name: name, Version: version, Ecosystem: "Debian:9", PURL: purl,
		SourceName: source, SourceVersion: sourceVersion, Locations: []string{"var/lib/dpkg/status"}}
}

// debian9 is the inventory of testdata/debian9.
var debian9 = &sbom.Inventory{
	OS: &sbom.OS{ID: "debian", VersionID: "9", Codename: "stretch",
		Name: "Debian GNU/Linux 9 (stretch)", Ecosystem: "Debian:9"},
	Packages: []sbom.Package{
		debianPackage("bash", "4.4-5", "", "", "pkg:deb/debian/bash@4.4-5?arch=amd64&distro=debian-9"),
		debianPackage("libc6", "2.24-11+deb9u3", "glibc", "",
			"pkg:deb/debian/libc6@2.24-11%2Bdeb9u3?arch=amd64&distro=debian-9&upstream=glibc"),
		debianPackage("libssl1.1", "1.1.0j-1~deb9u1", "openssl", "1.1.0f-3+deb9u2",
			"pkg:deb/debian/libssl1.1@1.1.0j-1~deb9u1?arch=amd64&distro=debian-9&upstream=openssl%401.1.0f-3%2Bdeb9u2"),
		debianPackage("linux-image-4.9.0-8-amd64", "4.9.110-3+deb9u4", "linux", "",
			"pkg:deb/debian/linux-image-4.9.0-8-amd64@4.9.110-3%2Bdeb9u4?arch=amd64&distro=debian-9&upstream=linux"),
	},
}

func TestCollectDebian(t *testing.T) {
	got := collect(t, "testdata/debian9")
	if diff := cmp.Diff(debian9, got); diff != "" {
		t.Errorf("Collect(debian9) mismatch (-want +got):\n%s", diff)
	}
	want := match.Package{Ecosystem: "Debian:9", Name: "linux-image-4.9.0-8-amd64", Version: "4.9.110-3+deb9u4",
		SourceName: "linux", Location: "var/lib/dpkg/status"}
	if diff := cmp.Diff(want, got.Packages[3].MatchPackage()); diff != "" {
		t.Errorf("MatchPackage() mismatch (-want +got):\n%s", diff)
	}
}

func TestCollectAlpine(t *testing.T) {
	apk := func(name, version, origin, license, purl string) sbom.Package {
		return sbom.Package{Name: name, Version: version, Ecosystem: "Alpine:v3.18", PURL: purl, SourceName: origin,
			Locations: []string{"lib/apk/db/installed"}, Licenses: []string{license}}
	}
	want := &sbom.Inventory{
		OS: &sbom.OS{ID: "alpine", VersionID: "3.18.4", Name: "Alpine Linux v3.18", Ecosystem: "Alpine:v3.18"},
		Packages: []sbom.Package{
			apk("busybox", "1.36.1-r2", "busybox", "GPL-2.0-only",
				"pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=alpine-3.18.4&upstream=busybox"),
			apk("libcrypto3", "3.1.3-r0", "openssl", "Apache-2.0",
				"pkg:apk/alpine/libcrypto3@3.1.3-r0?arch=x86_64&distro=alpine-3.18.4&upstream=openssl"),
			apk("musl", "1.2.4-r2", "musl", "MIT",
				"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4&upstream=musl"),
		},
	}
	if diff := cmp.Diff(want, collect(t, "testdata/alpine318")); diff != "" {
		t.Errorf("Collect(alpine318) mismatch (-want +got):\n%s", diff)
	}
}

// TestCollectSource pins the packages of one lockfile of each format.
func TestCollectSource(t *testing.T) {
	got := collect(t, "testdata/source")
	if got.OS != nil || len(got.Warnings) > 0 {
		t.Errorf("Collect(source): OS = %v, warnings = %q; want neither", got.OS, got.Warnings)
	}
	checkGolden(t, "testdata/golden/source.inventory.json", marshal(t, got.Packages))
	// go.mod's go and toolchain directives are minimums, not what built
	// anything: they make no standard-library package.
	for _, p := range got.Packages {
		if p.Name == "stdlib" {
			t.Errorf("Collect(source) lists %+v; go.mod's go/toolchain directives must not become stdlib", p)
		}
	}
}

func TestCollectGoBinary(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build a binary with")
	}
	dir := t.TempDir()
	cmd := exec.Command(gotool, "build", "-buildvcs=false", "-o", filepath.Join(dir, "app", "hello"), "./testdata/gobin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	got := collect(t, dir)
	goPkg := func(name, version, purl string) sbom.Package {
		return sbom.Package{Name: name, Version: version, Ecosystem: "Go", PURL: purl, Locations: []string{"app/hello"}}
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	want := []sbom.Package{
		goPkg("github.com/google/go-cmp", "0.7.0", "pkg:golang/github.com/google/go-cmp@v0.7.0"),
		goPkg("github.com/secpipe/secpipe", "(devel)", "pkg:golang/github.com/secpipe/secpipe@%28devel%29"),
		goPkg("stdlib", goVersion, "pkg:golang/stdlib@"+goVersion),
	}
	if diff := cmp.Diff(want, got.Packages); diff != "" {
		t.Errorf("Collect(Go binary) mismatch (-want +got):\n%s", diff)
	}
}

func TestCollectWarnings(t *testing.T) {
	noOS := rootfs.NewMemRoot([]rootfs.Entry{
		{Path: "var/lib/dpkg/status", Mode: 0o644, Size: 64},
		{Path: "app/package-lock.json", Mode: 0o644, Size: 9},
		{Path: "app/yarn.lock", Mode: 0o644, Size: 100},
		{Path: "var/lib/rpm/rpmdb.sqlite", Mode: 0o644, Size: 12},
		{Path: "etc/passwd", Mode: 0o644},
	}, map[string][]byte{
		"var/lib/dpkg/status":      []byte("Package: bash\nStatus: install ok installed\nVersion: 4.4-5\n\n"),
		"app/package-lock.json":    []byte("{not json"),
		"var/lib/rpm/rpmdb.sqlite": []byte("not a database"),
	})
	got, err := sbom.Collect(context.Background(), noOS, rootfs.RootFS, sbom.Config{Extractors: extractors.Default()})
	if err != nil {
		t.Fatal(err)
	}
	wantPkgs := []sbom.Package{{Name: "bash", Version: "4.4-5", Ecosystem: "Debian",
		PURL: "pkg:deb/debian/bash@4.4-5", Locations: []string{"var/lib/dpkg/status"}}}
	if diff := cmp.Diff(wantPkgs, got.Packages); diff != "" {
		t.Errorf("packages mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"app/package-lock.json: javascript/packagelockjson:",
		"app/yarn.lock: javascript/yarnlock: open app/yarn.lock: contents not loaded",
		"var/lib/rpm/rpmdb.sqlite: os/rpm:",
		"no etc/os-release or usr/lib/os-release: bash",
	} {
		if !containsPrefix(got.Warnings, want) {
			t.Errorf("warnings = %q, want one starting %q", got.Warnings, want)
		}
	}
}

func containsPrefix(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestCollectErrors(t *testing.T) {
	root, err := rootfs.NewDirRoot("testdata/source")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sbom.Collect(ctx, root, rootfs.Source, sbom.Config{Extractors: extractors.Default()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Collect(cancelled) error = %v, want context.Canceled", err)
	}
	broken := sbom.Scalibr(func(*cpb.PluginConfig) (filesystem.Extractor, error) { return nil, errors.New("no config") })
	_, err = sbom.Collect(context.Background(), root, rootfs.Source, sbom.Config{Extractors: []sbom.Extractor{broken}})
	if err == nil || !strings.Contains(err.Error(), "no config") {
		t.Errorf("Collect(broken extractor) error = %v, want the construction error", err)
	}
	badOS := rootfs.NewMemRoot([]rootfs.Entry{{Path: "etc/os-release", Mode: 0o644, Size: 10}}, nil)
	if _, err := sbom.Collect(context.Background(), badOS, rootfs.RootFS, sbom.Config{}); err == nil {
		t.Error("Collect(rootfs, os-release not loaded) succeeded, want an error")
	}
	inv, err := sbom.Collect(context.Background(), badOS, rootfs.Source, sbom.Config{})
	if err != nil || len(inv.Warnings) != 1 || !strings.HasPrefix(inv.Warnings[0], "os-release: ") {
		t.Errorf("Collect(source, os-release not loaded) = %v, %v; want an os-release warning", inv, err)
	}
}

func TestKeep(t *testing.T) {
	keep := sbom.Keep(extractors.Default())
	tests := []struct {
		name string
		e    rootfs.Entry
		want bool
	}{
		{name: "dpkg status", e: rootfs.Entry{Path: "var/lib/dpkg/status", Mode: 0o644, Size: 1 << 20}, want: true},
		{name: "distroless status.d", e: rootfs.Entry{Path: "var/lib/dpkg/status.d/base", Mode: 0o644, Size: 500}, want: true},
		{name: "os-release", e: rootfs.Entry{Path: "usr/lib/os-release", Mode: 0o644, Size: 300}, want: true},
		{name: "lockfile", e: rootfs.Entry{Path: "srv/app/package-lock.json", Mode: 0o644, Size: 4096}, want: true},
		{name: "go.sum beside go.mod", e: rootfs.Entry{Path: "src/go.sum", Mode: 0o644, Size: 4096}, want: true},
		{name: "executable", e: rootfs.Entry{Path: "usr/local/bin/app", Mode: 0o755, Size: 30 << 20}, want: true},
		{name: "too big", e: rootfs.Entry{Path: "usr/local/bin/huge", Mode: 0o755, Size: sbom.MaxKeptSize + 1}},
		{name: "shell script", e: rootfs.Entry{Path: "usr/bin/hello.sh", Mode: 0o755, Size: 100}},
		{name: "shared library", e: rootfs.Entry{Path: "usr/lib/libc.so.6", Mode: 0o755, Size: 2 << 20}},
		{name: "plain file", e: rootfs.Entry{Path: "usr/share/doc/README", Mode: 0o644, Size: 100}},
		{name: "lockfile under node_modules", e: rootfs.Entry{Path: "app/node_modules/x/package-lock.json", Mode: 0o644, Size: 10}},
	}
	for _, tt := range tests {
		if got := keep(tt.e); got != tt.want {
			t.Errorf("%s: Keep(%s) = %v, want %v", tt.name, tt.e.Path, got, tt.want)
		}
	}
}

func TestMatchPackages(t *testing.T) {
	inv := &sbom.Inventory{Packages: []sbom.Package{
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Locations: []string{"a/package-lock.json", "b/yarn.lock"}},
		{Name: "flask", Ecosystem: "PyPI", Locations: []string{"requirements.txt"}},
		{Name: "thing", Version: "1.0", Locations: []string{"x"}},
		{Name: "rack", Version: "2.2.3", Ecosystem: "RubyGems"},
	}}
	want := []match.Package{
		{Ecosystem: "npm", Name: "lodash", Version: "4.17.20", Location: "a/package-lock.json"},
		{Ecosystem: "npm", Name: "lodash", Version: "4.17.20", Location: "b/yarn.lock"},
		{Ecosystem: "RubyGems", Name: "rack", Version: "2.2.3"},
	}
	if diff := cmp.Diff(want, inv.MatchPackages()); diff != "" {
		t.Errorf("MatchPackages() mismatch (-want +got):\n%s", diff)
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// checkGolden compares got with the golden file, rewriting it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}
