package sbom

import (
	"strconv"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
)

// convert turns a scalibr package found in the file at path into a
// Package; ok is false for one without a name, for a Go module replaced by
// a local directory ("./internal/x"), which names no module an advisory
// could, and for the standard library of a go.mod.
func convert(sp *extractor.Package, path string) (p Package, ok bool) {
	if sp == nil || sp.Name == "" {
		return Package{}, false
	}
	if sp.PURLType == "golang" && (strings.HasPrefix(sp.Name, ".") || strings.HasPrefix(sp.Name, "/")) {
		return Package{}, false
	}
	if sp.PURLType == "golang" && sp.Name == "stdlib" {
		// scalibr turns a go.mod's go (or toolchain) directive into the
		// standard library at that version. Both are minimums, not the
		// toolchain that built anything: every standard-library advisory
		// since would be reported. A binary's build information names
		// its real toolchain (the package "go" below).
		return Package{}, false
	}
	p = Package{
		Name:      sp.Name,
		Version:   sp.Version,
		Ecosystem: sp.Ecosystem().String(),
		Licenses:  licenses(sp.Licenses),
	}
	loc := sp.Location.PathOrEmpty()
	if loc == "" {
		loc = path
	}
	p.Locations = []string{loc}
	if m, ok := sp.Metadata.(*requirements.Metadata); ok && m.VersionComparator != "==" && m.VersionComparator != "===" {
		// "flask>=2.0" says what may be installed, not what is: scalibr
		// reports the bound as the version.
		p.Version = ""
	}
	d, isOS := osPackage(sp, &p)
	if !isOS && p.Ecosystem == "Go" && p.Name == "go" {
		// A binary's toolchain: OSV names the standard library "stdlib"
		// (as go.mod's go directive becomes in scalibr).
		p.Name = "stdlib"
	}
	p.PURL = makePURL(p, d)
	return p, true
}

// osPackage completes an OS package from its scalibr metadata: source
// package, epoch, ecosystem corrections. It returns where the package
// was installed and whether it is an OS package at all.
func osPackage(sp *extractor.Package, p *Package) (distro, bool) {
	switch m := sp.Metadata.(type) {
	case *dpkgmeta.Metadata:
		p.SourceName, p.SourceVersion = m.SourceName, m.SourceVersion
		p.Ecosystem = fixOSEcosystem(typeDeb, p.Ecosystem, m.OSID, m.OSVersionID)
		return distro{id: m.OSID, versionID: m.OSVersionID, arch: m.Architecture}, true
	case *apkmeta.Metadata:
		p.SourceName = m.OriginName
		p.Ecosystem = fixOSEcosystem(typeAPK, p.Ecosystem, m.OSID, m.OSVersionID)
		return distro{id: m.OSID, versionID: m.OSVersionID, arch: m.Architecture}, true
	case *rpmmeta.Metadata:
		if m.SourceRPM != "" {
			p.SourceName, p.SourceVersion = splitSourceRPM(m.SourceRPM)
		}
		if m.Epoch > 0 {
			p.Version = strconv.Itoa(m.Epoch) + ":" + p.Version
		}
		p.Ecosystem = fixOSEcosystem(typeRPM, p.Ecosystem, m.OSID, m.OSVersionID)
		return distro{id: m.OSID, versionID: m.OSVersionID, arch: m.Architecture}, true
	}
	return distro{}, false
}

// licenses drops empty and placeholder license strings.
func licenses(ls []string) []string {
	var out []string
	for _, l := range ls {
		l = strings.TrimSpace(l)
		if l == "" || strings.EqualFold(l, "unknown") || l == "NOASSERTION" {
			continue
		}
		out = append(out, l)
	}
	return out
}
