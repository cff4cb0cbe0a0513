package version

import (
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// rules names one family of ordering rules. Several OSV ecosystems share a
// family: Ubuntu orders versions as Debian does, every RPM distribution as
// rpmvercmp does, npm, crates.io, Go and Hex as SemVer 2.0 does.
type rules uint8

// The rule families, in the order Version.Compare sorts versions of
// different families (an arbitrary but fixed order).
const (
	rulesAlpine rules = iota + 1
	rulesCRAN
	rulesDebian
	rulesHackage
	rulesMaven
	rulesNuGet
	rulesPackagist
	rulesPub
	rulesPyPI
	rulesRPM
	rulesRubyGems
	rulesSemVer
)

// String names the family after its best-known ecosystem.
func (r rules) String() string {
	switch r {
	case rulesAlpine:
		return "Alpine"
	case rulesCRAN:
		return "CRAN"
	case rulesDebian:
		return "Debian"
	case rulesHackage:
		return "Hackage"
	case rulesMaven:
		return "Maven"
	case rulesNuGet:
		return "NuGet"
	case rulesPackagist:
		return "Packagist"
	case rulesPub:
		return "Pub"
	case rulesPyPI:
		return "PyPI"
	case rulesRPM:
		return "RPM"
	case rulesRubyGems:
		return "RubyGems"
	case rulesSemVer:
		return "SemVer"
	}
	return fmt.Sprintf("rules(%d)", uint8(r))
}

// Ecosystems lists the OSV ecosystem names Parse and Compare accept, without
// a release suffix. Each also accepts "Name:release" ("Debian:9",
// "Alpine:v3.18", "Red Hat:enterprise_linux:9::appstream").
func Ecosystems() []string {
	return []string{
		"AlmaLinux", "Alpaquita", "Alpine", "BellSoft Hardened Containers",
		"Bioconductor", "Bitnami", "CRAN", "Chainguard", "ConanCenter",
		"Debian", "GHC", "Go", "Hackage", "Hex", "Julia", "Mageia", "Maven",
		"MinimOS", "NuGet", "Packagist", "Pub", "PyPI", "Red Hat",
		"Rocky Linux", "RubyGems", "SUSE", "SwiftURL", "Ubuntu", "Wolfi",
		"crates.io", "npm", "openEuler", "openSUSE",
	}
}

// rulesFor returns the rule family of an OSV ecosystem name such as
// "Debian:9"; everything from the first colon on is the release and does
// not change the rules. Names are case-sensitive, as in OSV.
func rulesFor(ecosystem string) (rules, error) {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "Debian", "Ubuntu":
		return rulesDebian, nil
	case "AlmaLinux", "Mageia", "Red Hat", "Rocky Linux", "SUSE", "openEuler", "openSUSE":
		return rulesRPM, nil
	case "Alpine", "Alpaquita", "BellSoft Hardened Containers", "Chainguard", "MinimOS", "Wolfi":
		return rulesAlpine, nil
	case "npm", "crates.io", "Go", "Hex", "Bioconductor", "Bitnami", "ConanCenter", "GHC", "Julia", "SwiftURL":
		return rulesSemVer, nil
	case "CRAN":
		return rulesCRAN, nil
	case "Hackage":
		return rulesHackage, nil
	case "Maven":
		return rulesMaven, nil
	case "NuGet":
		return rulesNuGet, nil
	case "Packagist":
		return rulesPackagist, nil
	case "Pub":
		return rulesPub, nil
	case "PyPI":
		return rulesPyPI, nil
	case "RubyGems":
		return rulesRubyGems, nil
	}
	return 0, fmt.Errorf("%w: unknown ecosystem %q (no version ordering for it)", pipeline.ErrInvalid, ecosystem)
}

// parse hands v to the osv-scalibr parser of the family. Only the Alpine,
// CRAN, Debian, Hackage and PyPI parsers can reject a string; the others
// accept anything and order what they do not understand as best they can.
func (r rules) parse(v string) (semantic.Version, error) {
	switch r {
	case rulesAlpine:
		return semantic.ParseAlpineVersion(v)
	case rulesCRAN:
		return semantic.ParseCRANVersion(v)
	case rulesDebian:
		return semantic.ParseDebianVersion(v)
	case rulesHackage:
		return semantic.ParseHackageVersion(v)
	case rulesMaven:
		return semantic.ParseMavenVersion(v), nil
	case rulesNuGet:
		return semantic.ParseNuGetVersion(v), nil
	case rulesPackagist:
		return semantic.ParsePackagistVersion(v), nil
	case rulesPub:
		return semantic.ParsePubVersion(v), nil
	case rulesPyPI:
		return semantic.ParsePyPIVersion(v)
	case rulesRPM:
		return semantic.ParseRedHatVersion(v), nil
	case rulesRubyGems:
		return semantic.ParseRubyGemsVersion(v), nil
	case rulesSemVer:
		return semantic.ParseSemverVersion(v), nil
	}
	return nil, fmt.Errorf("no parser for %v", r)
}
