// Package version orders package versions the way each OSV ecosystem does:
// dpkg for Debian and Ubuntu, rpmvercmp for the RPM distributions, apk for
// Alpine, PEP 440 for PyPI, Maven's ComparableVersion, PHP's
// version_compare for Packagist, Gem::Version for RubyGems, R's
// package_version for CRAN, NuGet, SemVer 2.0 for npm, crates.io, Go and
// Hex, Hackage and Pub.
//
// The rules come from osv-scalibr's semantic package; this package adds
// OSV ecosystem names, input checks with errors that name the ecosystem and
// the version, and the fixes listed in fixes.go. Its tests hold it to every
// vector in the shared version-vectors data, in both directions.
//
// Parse a version once and compare the parsed form when one version is
// checked against many range bounds. Everything here is safe for
// concurrent use: a Version is immutable.
package version

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/osv-scalibr/semantic"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// MaxLen is the longest version string Parse accepts, in bytes. Real
// versions stay far below it; the bound keeps hostile lockfiles from making
// comparisons slow.
const MaxLen = 256

// Version is a version string parsed under the rules of one ecosystem. The
// zero Version is empty: it sorts before every parsed Version.
type Version struct {
	rules rules
	raw   string
	v     semantic.Version
}

// Parse parses v under the rules of ecosystem, an OSV ecosystem name with or
// without its release suffix ("PyPI", "Debian:9"). It wraps
// pipeline.ErrInvalid, naming the ecosystem and the version, for an unknown
// ecosystem and for a version that ecosystem cannot hold.
func Parse(ecosystem, v string) (Version, error) {
	r, err := rulesFor(ecosystem)
	if err != nil {
		return Version{}, err
	}
	if err := check(v); err != nil {
		return Version{}, fmt.Errorf("%w: %s version %q: %v", pipeline.ErrInvalid, ecosystem, clip(v), err)
	}
	prepared, err := r.prepare(v)
	if err != nil {
		return Version{}, fmt.Errorf("%w: %s version %q: %v", pipeline.ErrInvalid, ecosystem, clip(v), err)
	}
	sv, err := r.parse(prepared)
	if err != nil {
		return Version{}, fmt.Errorf("%w: %s version %q: %v", pipeline.ErrInvalid, ecosystem, clip(v), err)
	}
	return Version{rules: r, raw: v, v: sv}, nil
}

// Compare parses a and b under the rules of ecosystem and returns -1 if
// a < b, 0 if they are equal and +1 if a > b. Errors are Parse's.
func Compare(ecosystem, a, b string) (int, error) {
	va, err := Parse(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// Compare returns -1 if v < w, 0 if they are equal and +1 if v > w.
// Versions of ecosystems with different rules have no meaningful order;
// Compare still gives a fixed one (by rule family) rather than fail, so that
// sorting mixed slices is deterministic.
func (v Version) Compare(w Version) int {
	if v.rules != w.rules {
		if v.rules < w.rules {
			return -1
		}
		return +1
	}
	if v.v == nil || v.raw == w.raw {
		return 0
	}
	c, err := v.v.Compare(w.v)
	if err != nil {
		// Unreachable for versions from Parse (same family, checked input);
		// byte order keeps the result total instead of guessing.
		return strings.Compare(v.raw, w.raw)
	}
	return sign(c)
}

// String returns the version as it was given to Parse.
func (v Version) String() string { return v.raw }

// check applies the rules every ecosystem shares: a version is a non-empty
// UTF-8 string of at most MaxLen bytes without spaces or control characters.
func check(v string) error {
	if v == "" {
		return fmt.Errorf("empty")
	}
	if len(v) > MaxLen {
		return fmt.Errorf("%d bytes, longer than %d", len(v), MaxLen)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("not UTF-8")
	}
	for _, c := range v {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			return fmt.Errorf("contains %q", c)
		}
	}
	return nil
}

// clip shortens v to at most 64 bytes, on a character boundary, for an
// error message.
func clip(v string) string {
	keep := 64
	if len(v) <= keep {
		return v
	}
	for keep > 0 && !utf8.RuneStart(v[keep]) {
		keep--
	}
	return v[:keep] + "…"
}

// sign maps any integer to -1, 0 or +1.
func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return +1
	}
	return 0
}
