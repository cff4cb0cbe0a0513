package version

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/semantic"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// TestDebianChecks pins checkDebian: each version here is one osv-scalibr
// parses without complaint (the test checks that too) and dpkg or Debian
// policy rejects.
func TestDebianChecks(t *testing.T) {
	tests := []struct {
		version string
		want    string
	}{
		{version: "-1:2.0", want: `epoch "-1" is not an unsigned number`},
		{version: "+1:2.0", want: `epoch "+1" is not an unsigned number`},
		{version: "1:", want: "nothing after the epoch colon"},
		{version: "-1", want: "upstream version is empty"},
		{version: "1:-1", want: "upstream version is empty"},
		{version: "2.0-", want: "revision after the last hyphen is empty"},
		{version: "1é", want: "non-ASCII character at byte 1"},
	}
	for _, tt := range tests {
		if _, err := semantic.ParseDebianVersion(tt.version); err != nil {
			t.Errorf("semantic.ParseDebianVersion(%q) error = %v; the check is redundant", tt.version, err)
		}
		_, err := Parse("Debian", tt.version)
		if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(Debian, %q) error = %v, want %q", tt.version, err, tt.want)
		}
	}
}

// TestDebianNonASCIIWouldTie shows why checkDebian refuses non-ASCII:
// osv-scalibr ties two different characters that share a first byte.
func TestDebianNonASCIIWouldTie(t *testing.T) {
	v, err := semantic.ParseDebianVersion("1é")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.CompareStr("1è"); err != nil || got != 0 {
		t.Errorf("semantic Debian: compare(%q, %q) = %d, %v, want the tie 0 that checkDebian guards against; if osv-scalibr now orders them, its non-ASCII rule may go", "1é", "1è", got, err)
	}
}

// TestDebianAcceptsWhatDpkgAccepts keeps checkDebian from refusing versions
// dpkg takes (some with a warning only).
func TestDebianAcceptsWhatDpkgAccepts(t *testing.T) {
	for _, v := range []string{"0", "1:0", "0:1.0-1", "1.0-1-1", "2:1.0:1-1", "1.0+dfsg~rc1-2+deb12u1", "a1.0", "1_0", "10:0"} {
		if _, err := Parse("Debian", v); err != nil {
			t.Errorf("Parse(Debian, %q) error = %v", v, err)
		}
	}
}

// TestCRANChecks pins checkCRAN: osv-scalibr reads a sign in a part.
func TestCRANChecks(t *testing.T) {
	if _, err := semantic.ParseCRANVersion("1.+2"); err != nil {
		t.Errorf("semantic.ParseCRANVersion(%q) error = %v; the check is redundant", "1.+2", err)
	}
	for _, v := range []string{"1.+2", "1.-2", "+1.0"} {
		_, err := Parse("CRAN", v)
		if !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("Parse(CRAN, %q) error = %v, want ErrInvalid", v, err)
		}
	}
	for _, v := range []string{"1.0", "1.0-10", "0"} {
		if _, err := Parse("CRAN", v); err != nil {
			t.Errorf("Parse(CRAN, %q) error = %v", v, err)
		}
	}
}

// TestSignedIdentifiers pins markSignedIdentifiers against node semver's
// answers and shows the osv-scalibr answers it corrects; NuGet and Pub read
// "-1" as a number natively and keep osv-scalibr's answer.
func TestSignedIdentifiers(t *testing.T) {
	tests := []struct {
		ecosystem string
		a, b      string
		want      int // the ecosystem's own compare(a, b)
		scalibr   int // semantic's answer
	}{
		{ecosystem: "npm", a: "1.0.0-alpha.0", b: "1.0.0-alpha.-1", want: -1, scalibr: +1},
		{ecosystem: "npm", a: "1.0.0-0", b: "1.0.0--1", want: -1, scalibr: +1},
		{ecosystem: "npm", a: "1.0.0-alpha.-1", b: "1.0.0-alpha.-2", want: -1, scalibr: +1},
		{ecosystem: "npm", a: "1.0.0--1", b: "1.0.0--a", want: -1, scalibr: -1},
		{ecosystem: "npm", a: "1.0.0--1", b: "1.0.0--1a", want: -1, scalibr: -1},
		{ecosystem: "Go", a: "v1.0.0-x.-1+b.-1", b: "v1.0.0-x.1", want: +1, scalibr: -1},
		{ecosystem: "Hex", a: "1.0.0-rc.-1", b: "1.0.0-rc.0", want: +1, scalibr: -1},
		{ecosystem: "NuGet", a: "1.0.0-RC.0", b: "1.0.0-rc.-1", want: +1, scalibr: +1},
		{ecosystem: "Pub", a: "1.0.0-a.0", b: "1.0.0-a.-1", want: +1, scalibr: +1},
	}
	for _, tt := range tests {
		got, err := Compare(tt.ecosystem, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, %v, want %d", tt.ecosystem, tt.a, tt.b, got, err, tt.want)
		}
		sa, err := semantic.Parse(tt.a, tt.ecosystem)
		if err != nil {
			t.Fatal(err)
		}
		if raw, err := sa.CompareStr(tt.b); err != nil || raw != tt.scalibr {
			t.Errorf("semantic %s: compare(%q, %q) = %d, %v, want %d", tt.ecosystem, tt.a, tt.b, raw, err, tt.scalibr)
		}
	}
}

func TestMarkSignedIdentifiers(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{in: "1.0.0", want: "1.0.0"},
		{in: "1.0.0-alpha.1", want: "1.0.0-alpha.1"},
		{in: "1.0.0-alpha.-1", want: "1.0.0-alpha.-1\x00"},
		{in: "1.0.0--1", want: "1.0.0--1\x00"},
		{in: "v1.0.0--1.-02+b.-1", want: "v1.0.0--1\x00.-02\x00+b.-1"},
		{in: "1.0.0-a-1", want: "1.0.0-a-1"},
		{in: "1.0.0+-1", want: "1.0.0+-1"},
		{in: "1.0.0-.-", want: "1.0.0-.-"},
		{in: "1.2.3.4-x.-5", want: "1.2.3.4-x.-5\x00"},
	}
	for _, tt := range tests {
		if got := markSignedIdentifiers(tt.in); got != tt.want {
			t.Errorf("markSignedIdentifiers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
