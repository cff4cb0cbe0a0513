package match

import (
	"errors"
	"fmt"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// record parses an OSV record with the given id and extra top-level JSON
// fields (each ending in a comma, or empty) around one affected list.
func record(t testing.TB, id, extra, affected string) *osv.Vulnerability {
	t.Helper()
	data := fmt.Sprintf(`{"id": %q, "modified": "2024-01-01T00:00:00Z", %s "affected": %s}`, id, extra, affected)
	v, err := osv.ParseJSON(id+".json", []byte(data))
	if err != nil {
		t.Fatalf("ParseJSON(%s): %v", id, err)
	}
	return v
}

// entry renders one affected entry with one range of the given type.
func entry(ecosystem, name, rangeType, events string) string {
	return fmt.Sprintf(`{"package": {"ecosystem": %q, "name": %q}, "ranges": [{"type": %q, "events": %s}]}`,
		ecosystem, name, rangeType, events)
}

func TestAffects(t *testing.T) {
	const pypiFixed = `[{"introduced": "0"}, {"fixed": "2.31.0"}]`
	tests := []struct {
		name      string
		extra     string
		affected  string
		pkg       Package
		wantHit   bool
		wantFixed string
	}{
		{name: "introduced zero, below fix", affected: "[" + entry("PyPI", "requests", "ECOSYSTEM", pypiFixed) + "]",
			pkg: Package{Ecosystem: "PyPI", Name: "requests", Version: "2.28.1"}, wantHit: true, wantFixed: "2.31.0"},
		{name: "at the fix", affected: "[" + entry("PyPI", "requests", "ECOSYSTEM", pypiFixed) + "]",
			pkg: Package{Ecosystem: "PyPI", Name: "requests", Version: "2.31.0"}},
		{name: "above the fix", affected: "[" + entry("PyPI", "requests", "ECOSYSTEM", pypiFixed) + "]",
			pkg: Package{Ecosystem: "PyPI", Name: "requests", Version: "2.32.3"}},
		{name: "PyPI name normalised", affected: "[" + entry("PyPI", "Zope.Interface", "ECOSYSTEM", pypiFixed) + "]",
			pkg: Package{Ecosystem: "PyPI", Name: "zope-interface", Version: "1.0"}, wantHit: true, wantFixed: "2.31.0"},
		{name: "other name", affected: "[" + entry("PyPI", "requests", "ECOSYSTEM", pypiFixed) + "]",
			pkg: Package{Ecosystem: "PyPI", Name: "request", Version: "1.0"}},
		{name: "other ecosystem", affected: "[" + entry("PyPI", "requests", "ECOSYSTEM", pypiFixed) + "]",
			pkg: Package{Ecosystem: "npm", Name: "requests", Version: "1.0.0"}},
		{name: "below introduced", affected: "[" + entry("npm", "lodash", "SEMVER", `[{"introduced": "4.0.0"}, {"fixed": "4.17.21"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "lodash", Version: "3.10.1"}},
		{name: "at introduced", affected: "[" + entry("npm", "lodash", "SEMVER", `[{"introduced": "4.0.0"}, {"fixed": "4.17.21"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "lodash", Version: "4.0.0"}, wantHit: true, wantFixed: "4.17.21"},
		{name: "at last_affected", affected: "[" + entry("npm", "x", "ECOSYSTEM", `[{"introduced": "0"}, {"last_affected": "2.1.214"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.1.214"}, wantHit: true},
		{name: "above last_affected", affected: "[" + entry("npm", "x", "ECOSYSTEM", `[{"introduced": "0"}, {"last_affected": "2.1.214"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.1.215"}},
		{name: "below limit", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"limit": "2.0.0"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "1.9.9"}, wantHit: true},
		{name: "at limit", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"limit": "2.0.0"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.0.0"}},
		{name: "below one of two limits", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"limit": "1.5.0"}, {"limit": "3.0.0"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.0.0"}, wantHit: true},
		{name: "infinite limit", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"limit": "*"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "9.0.0"}, wantHit: true},
		{name: "second interval of a timeline", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"}, {"fixed": "3.2.5"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "3.1.0"}, wantHit: true, wantFixed: "3.2.5"},
		{name: "between intervals", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"}, {"fixed": "3.2.5"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.0.0"}},
		{name: "unsorted events", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "3.0.0"}, {"fixed": "3.2.5"}, {"introduced": "1.0.0"}, {"fixed": "1.0.2"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "1.0.1"}, wantHit: true, wantFixed: "1.0.2"},
		{name: "unsorted events, between", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "3.0.0"}, {"fixed": "3.2.5"}, {"introduced": "1.0.0"}, {"fixed": "1.0.2"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.0.0"}},
		{name: "second of multiple ranges",
			affected: `[{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [
				{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.0"}]},
				{"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"fixed": "2.3.1"}]}]}]`,
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.2.0"}, wantHit: true, wantFixed: "2.3.1"},
		{name: "overlapping ranges need the higher fix",
			affected: `[{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [
				{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.4.0"}]},
				{"type": "ECOSYSTEM", "events": [{"introduced": "1.2.0"}, {"fixed": "1.5.0"}]}]}]`,
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "1.3.0"}, wantHit: true, wantFixed: "1.5.0"},
		{name: "overlapping range without fix",
			affected: `[{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [
				{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.4.0"}]},
				{"type": "SEMVER", "events": [{"introduced": "1.2.0"}]}]}]`,
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "1.3.0"}, wantHit: true},
		{name: "listed version", affected: `[{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0", "1.1"]}]`,
			pkg: Package{Ecosystem: "PyPI", Name: "x", Version: "1.1"}, wantHit: true},
		{name: "listed version, equal under PEP 440", affected: `[{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.1.0"]}]`,
			pkg: Package{Ecosystem: "PyPI", Name: "x", Version: "1.1"}, wantHit: true},
		{name: "version not listed", affected: `[{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0", "1.1"]}]`,
			pkg: Package{Ecosystem: "PyPI", Name: "x", Version: "1.2"}},
		{name: "GIT range ignored",
			affected: `[{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [
				{"type": "GIT", "repo": "https://example.com/x.git", "events": [{"introduced": "0"}]}]}]`,
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "1.0.0"}},
		{name: "withdrawn", extra: `"withdrawn": "2024-02-01T00:00:00Z",`, affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "0"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "1.0.0"}},
		{name: "Go version with leading v, SEMVER range", affected: "[" + entry("Go", "golang.org/x/net", "SEMVER", `[{"introduced": "0"}, {"fixed": "0.17.0"}]`) + "]",
			pkg: Package{Ecosystem: "Go", Name: "golang.org/x/net", Version: "v0.15.0"}, wantHit: true, wantFixed: "0.17.0"},
		{name: "Go pseudo-version below fix", affected: "[" + entry("Go", "golang.org/x/net", "SEMVER", `[{"introduced": "0"}, {"fixed": "0.17.0"}]`) + "]",
			pkg: Package{Ecosystem: "Go", Name: "golang.org/x/net", Version: "v0.0.0-20220722155217-630584e8d5aa"}, wantHit: true, wantFixed: "0.17.0"},
		{name: "Go at fix with leading v", affected: "[" + entry("Go", "golang.org/x/net", "SEMVER", `[{"introduced": "0"}, {"fixed": "0.17.0"}]`) + "]",
			pkg: Package{Ecosystem: "Go", Name: "golang.org/x/net", Version: "v0.17.0"}},
		{name: "bare ecosystem covers releases", affected: "[" + entry("Debian", "openssl", "ECOSYSTEM", `[{"introduced": "0"}, {"fixed": "1.1.0l-1~deb9u1"}]`) + "]",
			pkg: Package{Ecosystem: "Debian:9", Name: "openssl", Version: "1.1.0j-1~deb9u1"}, wantHit: true, wantFixed: "1.1.0l-1~deb9u1"},
		{name: "other release", affected: "[" + entry("Debian:10", "openssl", "ECOSYSTEM", `[{"introduced": "0"}, {"fixed": "1.1.1d-0+deb10u2"}]`) + "]",
			pkg: Package{Ecosystem: "Debian:9", Name: "openssl", Version: "1.1.0j-1~deb9u1"}},
		{name: "release advisory, release unknown", affected: "[" + entry("Debian:9", "openssl", "ECOSYSTEM", `[{"introduced": "0"}]`) + "]",
			pkg: Package{Ecosystem: "Debian", Name: "openssl", Version: "1.1.0j-1~deb9u1"}},
		{name: "source package name", affected: "[" + entry("Debian:9", "linux", "ECOSYSTEM", `[{"introduced": "0"}, {"fixed": "4.9.110-3+deb9u5"}]`) + "]",
			pkg: Package{Ecosystem: "Debian:9", Name: "linux-image-4.9.0-8-amd64", SourceName: "linux", Version: "4.9.110-3+deb9u4"}, wantHit: true, wantFixed: "4.9.110-3+deb9u5"},
		{name: "binary package name", affected: "[" + entry("Debian:9", "linux-image-4.9.0-8-amd64", "ECOSYSTEM", `[{"introduced": "0"}, {"fixed": "4.9.110-3+deb9u5"}]`) + "]",
			pkg: Package{Ecosystem: "Debian:9", Name: "linux-image-4.9.0-8-amd64", SourceName: "linux", Version: "4.9.110-3+deb9u4"}, wantHit: true, wantFixed: "4.9.110-3+deb9u5"},
		{name: "fix that reintroduces is skipped", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "0"}, {"fixed": "1.0.0"}, {"introduced": "1.0.0"}, {"fixed": "2.0.0"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "0.5.0"}, wantHit: true, wantFixed: "2.0.0"},
		{name: "second entry for the same package", affected: "[" + entry("npm", "x", "SEMVER", `[{"introduced": "1.0.0"}, {"fixed": "1.1.0"}]`) + "," +
			entry("npm", "x", "SEMVER", `[{"introduced": "2.0.0"}, {"fixed": "2.1.0"}]`) + "]",
			pkg: Package{Ecosystem: "npm", Name: "x", Version: "2.0.5"}, wantHit: true, wantFixed: "2.1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := record(t, "TEST-1", tt.extra, tt.affected)
			hit, fixed, err := Affects(v, tt.pkg)
			if err != nil {
				t.Fatalf("Affects(%+v) error: %v", tt.pkg, err)
			}
			if hit != tt.wantHit || fixed != tt.wantFixed {
				t.Errorf("Affects(%+v) = %v, %q, want %v, %q", tt.pkg, hit, fixed, tt.wantHit, tt.wantFixed)
			}
		})
	}
}

func TestAffectsErrors(t *testing.T) {
	v := record(t, "TEST-ERR", "", `[{"package": {"ecosystem": "Debian:9", "name": "x"}, "ranges": [
		{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": ":1"}]},
		{"type": "ECOSYSTEM", "events": [{"introduced": "1.0-1"}]}]}]`)
	tests := []struct {
		name    string
		version string
		wantHit bool
	}{
		{name: "bad event, other range hits", version: "1.2-1", wantHit: true},
		{name: "bad event, no hit", version: "0.9-1"},
		{name: "bad installed version", version: "1.0-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hit, _, err := Affects(v, Package{Ecosystem: "Debian:9", Name: "x", Version: tt.version})
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("Affects(%q) error = %v, want %v", tt.version, err, pipeline.ErrInvalid)
			}
			if hit != tt.wantHit {
				t.Errorf("Affects(%q) hit = %v, want %v", tt.version, hit, tt.wantHit)
			}
		})
	}
}
