package sbom

import (
	"cmp"
	"slices"

	"github.com/secpipe/secpipe/internal/scan/vulns/match"
)

// Inventory is what a target holds: its operating system, when it has
// one, and its packages. Collect and ReadDocument build one; it is a
// plain value, safe to share once built.
type Inventory struct {
	// OS is the operating system from etc/os-release (or
	// usr/lib/os-release); nil for a source tree or when neither exists.
	OS *OS
	// Packages are sorted by ecosystem, name and version, one per
	// (ecosystem, name, version).
	Packages []Package
	// Warnings say what the inventory may be missing: files an
	// extractor could not read, components a document did not describe
	// well enough. Each names the file (and field) concerned.
	Warnings []string
}

// OS identifies an operating system release as os-release(5) does.
type OS struct {
	// ID is the os-release ID ("debian", "alpine", "almalinux").
	ID string
	// VersionID is VERSION_ID ("9", "3.18.4"); empty on rolling releases.
	VersionID string
	// Codename is VERSION_CODENAME ("stretch").
	Codename string
	// Name is PRETTY_NAME, or NAME without it ("Debian GNU/Linux 9 (stretch)").
	Name string
	// Ecosystem is the OSV ecosystem of the release's packages
	// ("Debian:9", "Alpine:v3.18", "AlmaLinux:9", "Ubuntu:22.04:LTS"),
	// empty when OSV does not know the distribution.
	Ecosystem string
}

// Package is one package found in a target.
type Package struct {
	// Name is the name advisories use: the dpkg/apk/rpm binary package,
	// the Go module path, "@scope/name" for npm, "vendor/name" for
	// Packagist, "group:artifact" for Maven. The Go standard library is
	// "stdlib".
	Name string
	// Version is the installed version, in the ecosystem's syntax (Go
	// modules without the leading "v"; rpm as [epoch:]version-release).
	Version string
	// Ecosystem is the OSV ecosystem ("Debian:9", "Go", "PyPI"); empty
	// when the package has none OSV knows.
	Ecosystem string
	// PURL is the package URL written to documents.
	PURL string
	// SourceName and SourceVersion name the source package the binary
	// package was built from (dpkg Source, apk origin, rpm source rpm),
	// when it has one; Debian advisories name source packages.
	SourceName, SourceVersion string
	// Locations are the root-relative paths of the files that list the
	// package, sorted.
	Locations []string
	// Licenses are the declared licenses, as the package states them,
	// sorted.
	Licenses []string
}

// MatchPackage returns the package as the vulnerability matcher takes
// it, located at its first location.
func (p Package) MatchPackage() match.Package {
	m := match.Package{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, SourceName: p.SourceName}
	if len(p.Locations) > 0 {
		m.Location = p.Locations[0]
	}
	return m
}

// MatchPackages returns every package of the inventory as the
// vulnerability matcher takes it, once per location, so that a finding
// names each file that pins the package. Packages without an ecosystem
// or a version are left out: no advisory can name them.
func (inv *Inventory) MatchPackages() []match.Package {
	var out []match.Package
	for _, p := range inv.Packages {
		if p.Ecosystem == "" || p.Version == "" {
			continue
		}
		m := p.MatchPackage()
		if len(p.Locations) == 0 {
			out = append(out, m)
		}
		for _, loc := range p.Locations {
			m.Location = loc
			out = append(out, m)
		}
	}
	return out
}

// comparePackages orders packages by ecosystem, name and version.
func comparePackages(a, b Package) int {
	return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
}

// packageKey identifies a package across the files that list it.
type packageKey struct{ ecosystem, name, version string }

// normalize merges the packages found more than once (same ecosystem,
// name and version) and sorts them, their locations and licenses. The
// result does not depend on the order of pkgs.
func normalize(pkgs []Package) []Package {
	index := make(map[packageKey]int, len(pkgs))
	out := pkgs[:0]
	for _, p := range pkgs {
		k := packageKey{p.Ecosystem, p.Name, p.Version}
		if i, ok := index[k]; ok {
			out[i] = merge(out[i], p)
			continue
		}
		index[k] = len(out)
		out = append(out, p)
	}
	slices.SortFunc(out, comparePackages)
	for i := range out {
		out[i].Locations = sortedSet(out[i].Locations)
		out[i].Licenses = sortedSet(out[i].Licenses)
	}
	return slices.Clip(out)
}

// merge folds b, the same package found elsewhere, into a, keeping the
// least purl and source package so that the order does not matter.
func merge(a, b Package) Package {
	a.Locations = append(slices.Clip(a.Locations), b.Locations...)
	a.Licenses = append(slices.Clip(a.Licenses), b.Licenses...)
	if a.PURL == "" || b.PURL != "" && b.PURL < a.PURL {
		a.PURL = b.PURL
	}
	if a.SourceName == "" || b.SourceName != "" && b.SourceName+" "+b.SourceVersion < a.SourceName+" "+a.SourceVersion {
		a.SourceName, a.SourceVersion = b.SourceName, b.SourceVersion
	}
	return a
}

// sortedSet sorts ss and drops duplicates and empty strings; nil when
// nothing is left.
func sortedSet(ss []string) []string {
	ss = slices.DeleteFunc(ss, func(s string) bool { return s == "" })
	if len(ss) == 0 {
		return nil
	}
	slices.Sort(ss)
	return slices.Clip(slices.Compact(ss))
}
