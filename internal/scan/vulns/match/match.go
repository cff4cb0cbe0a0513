// Package match decides which OSV advisories affect an installed package,
// following the evaluation algorithm of the OSV schema
// (https://ossf.github.io/osv-schema/#evaluation), and turns the matches into
// one result per vulnerability with its severity and fixed version.
//
// Matching rules:
//   - An affected entry's ecosystem matches the package's when they are equal
//     ("Debian:9" and "Debian:9"), or when the advisory names the bare
//     ecosystem ("Debian"), which then covers every release. An advisory for
//     one release never matches a package whose release is unknown ("Debian"):
//     it would report other releases' fixes as this one's.
//   - The entry's package name must equal the package's Name or its
//     SourceName (distributions advise source packages). PyPI names compare
//     after PEP 503 normalisation; other ecosystems compare exactly.
//   - The version is affected when it is listed in versions (equal under the
//     ecosystem's ordering, so Go's "v1.2.3" equals "1.2.3") or inside an
//     ECOSYSTEM or SEMVER range. GIT ranges are ignored: they need the
//     repository. Withdrawn advisories never match.
//
// Everything here is a pure function of its arguments and safe for
// concurrent use.
package match

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
	"github.com/secpipe/secpipe/internal/scan/vulns/version"
)

// semverOrder is the ecosystem whose ordering SEMVER ranges use: SemVer 2.0,
// accepting the leading "v" Go module versions carry.
const semverOrder = "Go"

// Package is one installed package to check against advisories.
type Package struct {
	// Ecosystem is the OSV ecosystem, with the release when known:
	// "Debian:9", "Alpine:v3.18", "Go", "PyPI".
	Ecosystem string
	// Name is the package name as installed, e.g. the dpkg binary package
	// "linux-image-4.9.0-8-amd64" or the Go module path.
	Name string
	// Version is the installed version.
	Version string
	// SourceName is the source package the binary package was built from
	// ("linux"), when the ecosystem has one; advisories may name either.
	SourceName string
	// Location is the file the package was found in.
	Location string
}

// verdict is what one advisory says about one package.
type verdict struct {
	hit bool
	// fixes are the fixed versions of the affected ranges that hold the
	// version; unfixed is set when one of them (or a versions list) holds
	// it without naming a fix above it.
	fixes   []string
	unfixed bool
	// entries are the affected entries that hold the version.
	entries []*osv.Affected
}

// Affects reports whether advisory v affects package p and, if so, the
// lowest version that fixes it: for each matching range the lowest fixed
// event above p's version that leaves the range, and across several matching
// ranges the highest of those. fixed is empty when some matching range (or a
// versions list alone) names no fix.
//
// The error names the advisory and the field when a version in the advisory
// or p's version cannot be read under the ecosystem's rules; the other ranges
// are still evaluated, and a hit elsewhere is still reported with the error.
func Affects(v *osv.Vulnerability, p Package) (hit bool, fixed string, err error) {
	vd, err := evaluate(v, p)
	if !vd.hit {
		return false, "", err
	}
	return true, vd.fixed(p.Ecosystem), err
}

// fixed returns the version that leaves every matching range, or "".
func (vd verdict) fixed(ecosystem string) string {
	if vd.unfixed || len(vd.fixes) == 0 {
		return ""
	}
	return highest(ecosystem, vd.fixes)
}

func evaluate(v *osv.Vulnerability, p Package) (verdict, error) {
	var vd verdict
	if v == nil || v.IsWithdrawn() {
		return vd, nil
	}
	var errs []error
	for i := range v.Affected {
		a := &v.Affected[i]
		if !packageMatches(a.Package, p) {
			continue
		}
		before := vd.hit
		vd.hit = false
		err := evaluateEntry(a, p.Version, &vd)
		if err != nil {
			errs = append(errs, fmt.Errorf("advisory %s: affected[%d]: %w", v.ID, i, err))
		}
		if vd.hit {
			vd.entries = append(vd.entries, a)
		}
		vd.hit = vd.hit || before
	}
	return vd, errors.Join(errs...)
}

// evaluateEntry adds what one affected entry says about the installed version to vd,
// setting vd.hit when the entry holds it.
func evaluateEntry(a *osv.Affected, installed string, vd *verdict) error {
	var errs []error
	for j, r := range a.Ranges {
		order := a.Package.Ecosystem
		switch r.Type {
		case osv.RangeEcosystem:
		case osv.RangeSemver:
			order = semverOrder
		default:
			continue
		}
		pv, err := version.Parse(order, installed)
		if err != nil {
			return fmt.Errorf("installed version: %w", err)
		}
		rg, err := parseRange(order, r.Events)
		if err != nil {
			errs = append(errs, fmt.Errorf("ranges[%d].%w", j, err))
			continue
		}
		if !rg.includes(pv) {
			continue
		}
		vd.hit = true
		if f := rg.fixedAbove(pv); f != "" {
			vd.fixes = append(vd.fixes, f)
		} else {
			vd.unfixed = true
		}
	}
	if !vd.hit && listed(a.Package.Ecosystem, a.Versions, installed) {
		vd.hit = true
		vd.unfixed = true
	}
	return errors.Join(errs...)
}

// listed reports whether installed equals one of versions, under the
// ecosystem's ordering when both parse and as strings otherwise.
func listed(ecosystem string, versions []string, installed string) bool {
	pv, perr := version.Parse(ecosystem, installed)
	for _, s := range versions {
		if s == installed {
			return true
		}
		if perr != nil {
			continue
		}
		if lv, err := version.Parse(ecosystem, s); err == nil && lv.Compare(pv) == 0 {
			return true
		}
	}
	return false
}

// packageMatches applies the ecosystem and name rules of the package doc.
func packageMatches(ap osv.Package, p Package) bool {
	if !ecosystemMatches(ap.Ecosystem, p.Ecosystem) {
		return false
	}
	base, _, _ := strings.Cut(ap.Ecosystem, ":")
	if sameName(base, ap.Name, p.Name) {
		return true
	}
	return p.SourceName != "" && sameName(base, ap.Name, p.SourceName)
}

// ecosystemMatches reports whether an advisory for ecosystem adv covers a
// package of ecosystem pkg: equal, or adv bare and pkg one of its releases.
func ecosystemMatches(adv, pkg string) bool {
	if adv == pkg {
		return true
	}
	if strings.Contains(adv, ":") {
		return false
	}
	base, _, found := strings.Cut(pkg, ":")
	return found && base == adv
}

// sameName compares package names as the ecosystem does.
func sameName(ecosystem, a, b string) bool {
	return NormalizeName(ecosystem, a) == NormalizeName(ecosystem, b)
}

// NormalizeName returns a package name in the form the ecosystem compares
// names in: PEP 503 for PyPI (lower case, each run of "-", "_" and "."
// one "-"), unchanged elsewhere. A release suffix ("PyPI:x") is ignored.
func NormalizeName(ecosystem, name string) string {
	if base, _, _ := strings.Cut(ecosystem, ":"); base != "PyPI" {
		return name
	}
	return normalizePyPI(name)
}

// normalizePyPI applies PEP 503: lower case, and each run of "-", "_" and
// "." becomes one "-".
func normalizePyPI(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// highest returns the highest of versions under the ecosystem's ordering.
// Versions that do not parse lose to those that do; among themselves the
// first wins.
func highest(ecosystem string, versions []string) string {
	best := ""
	var bestV version.Version
	parsed := false
	for _, s := range versions {
		v, err := version.Parse(ecosystem, s)
		switch {
		case err != nil:
			if best == "" {
				best = s
			}
		case !parsed || v.Compare(bestV) > 0:
			best, bestV, parsed = s, v, true
		}
	}
	return best
}
