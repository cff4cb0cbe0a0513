package version

import (
	"errors"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		ecosystem string
		a, b      string
		want      int
	}{
		// The kernel of the golden-image story: deb9u4 is older than deb9u5.
		{ecosystem: "Debian:9", a: "4.9.110-3+deb9u4", b: "4.9.110-3+deb9u5", want: -1},
		{ecosystem: "Debian:9", a: "1:2.0", b: "3.0", want: +1},
		{ecosystem: "Debian:9", a: "1.0~rc1-1", b: "1.0-1", want: -1},
		{ecosystem: "Ubuntu:22.04:LTS", a: "5.15.0-91.101", b: "5.15.0-101.111", want: -1},
		{ecosystem: "Ubuntu:Pro:18.04:LTS", a: "2.7.4-0ubuntu1.6", b: "2.7.4-0ubuntu1.10", want: -1},
		{ecosystem: "AlmaLinux:9", a: "0:5.14.0-362.8.1.el9_3", b: "5.14.0-362.13.1.el9_3", want: -1},
		{ecosystem: "Red Hat:enterprise_linux:9::appstream", a: "1:1.2.3-1.el9", b: "1.2.4-1.el9", want: +1},
		{ecosystem: "Rocky Linux:8", a: "2.28-225.el8", b: "2.28-225.el8_8.6", want: -1},
		{ecosystem: "openSUSE:Leap 15.5", a: "1.0~beta1-150500.1.1", b: "1.0-150500.1.1", want: -1},
		{ecosystem: "SUSE:Linux Enterprise Server 15 SP5", a: "3.0.8-150500.5.8.1", b: "3.0.8-150500.5.8.1", want: 0},
		{ecosystem: "Mageia:9", a: "2.4.57-1.mga9", b: "2.4.58-1.mga9", want: -1},
		{ecosystem: "Alpine:v3.18", a: "3.1.4-r1", b: "3.1.4-r2", want: -1},
		{ecosystem: "Alpine:v3.18", a: "1.2.3_rc1-r0", b: "1.2.3-r0", want: -1},
		{ecosystem: "Alpine:v3.18", a: "1.2.3_p1-r0", b: "1.2.3-r0", want: +1},
		{ecosystem: "PyPI", a: "1.0.dev1", b: "1.0a1", want: -1},
		{ecosystem: "PyPI", a: "1.0.post1", b: "1.0", want: +1},
		{ecosystem: "PyPI", a: "1!0.1", b: "2.0", want: +1},
		{ecosystem: "PyPI", a: "1.0.0", b: "1.0", want: 0},
		{ecosystem: "Maven", a: "1.0-SNAPSHOT", b: "1.0", want: -1},
		{ecosystem: "Maven", a: "2.0.0-M1", b: "2.0.0-RC1", want: -1},
		{ecosystem: "Maven", a: "5.3.10.RELEASE", b: "5.3.10", want: 0},
		{ecosystem: "Maven", a: "31.1-jre", b: "31.1-android", want: +1},
		{ecosystem: "Packagist", a: "1.0.0-beta", b: "1.0.0", want: -1},
		{ecosystem: "Packagist", a: "v2.1.0", b: "2.1.0", want: 0},
		{ecosystem: "RubyGems", a: "1.0.a", b: "1.0", want: -1},
		{ecosystem: "RubyGems", a: "3.10", b: "3.2", want: +1},
		{ecosystem: "CRAN", a: "1.2-10", b: "1.2.9", want: +1},
		{ecosystem: "NuGet", a: "1.0.0-BETA", b: "1.0.0-beta", want: 0},
		{ecosystem: "NuGet", a: "1.0.0.1", b: "1.0.0", want: +1},
		{ecosystem: "npm", a: "1.0.0-alpha.1", b: "1.0.0-alpha.beta", want: -1},
		{ecosystem: "npm", a: "1.0.0+build.1", b: "1.0.0", want: 0},
		{ecosystem: "crates.io", a: "0.10.0", b: "0.9.9", want: +1},
		{ecosystem: "Go", a: "v1.2.3", b: "1.2.3", want: 0},
		{ecosystem: "Go", a: "v0.0.0-20200101000000-abcdef012345", b: "v0.0.1", want: -1},
		{ecosystem: "Go", a: "v2.0.0+incompatible", b: "v2.0.0", want: 0},
		{ecosystem: "Hex", a: "1.0.0-rc.0", b: "1.0.0", want: -1},
		{ecosystem: "Hackage", a: "1.0", b: "1.0.0", want: -1},
		{ecosystem: "Pub", a: "1.0.0", b: "1.0.0+1", want: -1},
	}
	for _, tt := range tests {
		got, err := Compare(tt.ecosystem, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, %v, want %d", tt.ecosystem, tt.a, tt.b, got, err, tt.want)
		}
		if rev, err := Compare(tt.ecosystem, tt.b, tt.a); err != nil || rev != -tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, %v, want %d", tt.ecosystem, tt.b, tt.a, rev, err, -tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		ecosystem string
		version   string
		want      string // in the error message
	}{
		{ecosystem: "Linux", version: "1.0", want: `unknown ecosystem "Linux"`},
		{ecosystem: "debian", version: "1.0", want: `unknown ecosystem "debian"`},
		{ecosystem: "", version: "1.0", want: `unknown ecosystem ""`},
		{ecosystem: "npm", version: "", want: `npm version "": empty`},
		{ecosystem: "PyPI", version: "1.0 ", want: `PyPI version "1.0 ": contains ' '`},
		{ecosystem: "Maven", version: "1.0\n", want: `contains '\n'`},
		{ecosystem: "RubyGems", version: "1.0\x00", want: `contains '\x00'`},
		{ecosystem: "Red Hat", version: "1.0\xff", want: "not UTF-8"},
		{ecosystem: "Go", version: strings.Repeat("1", MaxLen+1), want: "257 bytes, longer than 256"},
		{ecosystem: "Debian:9", version: "a:1.0", want: `Debian:9 version "a:1.0": epoch "a" is not an unsigned number`},
		{ecosystem: "Hackage", version: "1.0-beta", want: "Hackage versions cannot contain a build version"},
		{ecosystem: "CRAN", version: "1.0b", want: "character 'b' at byte 3"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.ecosystem, tt.version)
		if err == nil || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q, %q) error = %v, want ErrInvalid containing %q", tt.ecosystem, tt.version, err, tt.want)
		}
		if _, err := Compare(tt.ecosystem, "0", tt.version); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("Compare(%q, %q, %q) error = %v, want ErrInvalid", tt.ecosystem, "0", tt.version, err)
		}
	}
}

// TestParseClipsLongVersions keeps error messages short when a lockfile
// holds an absurd version.
func TestParseClipsLongVersions(t *testing.T) {
	v := strings.Repeat("a", 100) + " "
	_, err := Parse("npm", v)
	if err == nil || strings.Contains(err.Error(), v[:80]) || !strings.Contains(err.Error(), v[:64]+"…") {
		t.Errorf("Parse(npm, 100 letters and a space) error = %v, want the version clipped to 64 bytes", err)
	}
}

// TestEcosystems parses a version in every listed ecosystem, with and
// without a release suffix, and checks OSV's "introduced: 0" sorts first.
func TestEcosystems(t *testing.T) {
	for _, eco := range Ecosystems() {
		for _, name := range []string{eco, eco + ":1"} {
			zero, err := Parse(name, "0")
			if err != nil {
				t.Errorf("Parse(%q, %q) error = %v", name, "0", err)
				continue
			}
			one, err := Parse(name, "1.0")
			if err != nil {
				t.Errorf("Parse(%q, %q) error = %v", name, "1.0", err)
				continue
			}
			if got := zero.Compare(one); got != -1 {
				t.Errorf("%s: Compare(%q, %q) = %d, want -1", name, "0", "1.0", got)
			}
		}
	}
}

func TestVersionCompareAcrossFamilies(t *testing.T) {
	deb, err := Parse("Debian", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	ubuntu, err := Parse("Ubuntu:24.04:LTS", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	npm, err := Parse("npm", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := deb.Compare(ubuntu); got != 0 {
		t.Errorf("Debian 1.0 vs Ubuntu 1.0 = %d, want 0 (same rules)", got)
	}
	ab, ba := deb.Compare(npm), npm.Compare(deb)
	if ab == 0 || ab != -ba {
		t.Errorf("Debian vs npm = %d, npm vs Debian = %d; want a fixed non-zero order", ab, ba)
	}
	var zero Version
	if got := zero.Compare(deb); got != -1 {
		t.Errorf("zero Version vs Debian 1.0 = %d, want -1", got)
	}
	if got := zero.Compare(Version{}); got != 0 {
		t.Errorf("zero Version vs zero Version = %d, want 0", got)
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct{ ecosystem, version string }{
		{ecosystem: "Debian:9", version: "1:4.9.110-3+deb9u5"},
		{ecosystem: "npm", version: "1.0.0-alpha.-1"},
	} {
		v, err := Parse(tt.ecosystem, tt.version)
		if err != nil || v.String() != tt.version {
			t.Errorf("Parse(%q, %q).String() = %q, %v, want %q", tt.ecosystem, tt.version, v.String(), err, tt.version)
		}
	}
}
