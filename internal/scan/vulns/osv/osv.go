// Package osv reads advisories in the Open Source Vulnerability (OSV) format
// (https://ossf.github.io/osv-schema/), as JSON or as the YAML some databases
// keep in their repositories, validates them, and rates their severity.
//
// Parse and its variants are pure functions over one record: they keep no
// state and are safe to call from many goroutines. Strict parsing rejects a
// record with any problem; ParseLenient keeps what is sound and reports the
// rest as warnings naming the file and the field, so that an import can skip
// a broken affected entry (or a broken record) and go on.
package osv

import (
	"encoding/json"
	"time"
)

// Vulnerability is one OSV record. Field names follow the schema; the JSON
// encoding of a parsed record is a valid OSV record again.
type Vulnerability struct {
	// SchemaVersion is the OSV schema version the record claims ("1.6.0");
	// empty means 1.0.0.
	SchemaVersion string `json:"schema_version,omitempty"`
	// ID names the record in its database, e.g. "GHSA-vp9c-fpxx-744v".
	ID string `json:"id"`
	// Modified is when the record last changed; between two records with
	// the same ID the later one wins. It is the zero time when the
	// database wrote 0001-01-01T00:00:00Z, as the Go database's all.zip
	// does.
	Modified time.Time `json:"modified"`
	// Published is when the record was first published; zero if unknown.
	Published time.Time `json:"published,omitzero"`
	// Withdrawn is when the record was withdrawn; zero if it stands.
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	// Aliases are IDs of the same vulnerability in other databases.
	Aliases []string `json:"aliases,omitempty"`
	// Related are IDs of related but distinct vulnerabilities.
	Related []string `json:"related,omitempty"`
	// Upstream are IDs of the upstream vulnerabilities this record derives
	// from (a distribution advisory bundling several CVEs, for instance).
	Upstream []string `json:"upstream,omitempty"`
	// Summary is a one-line, plain-text summary.
	Summary string `json:"summary,omitempty"`
	// Details is a CommonMark description.
	Details string `json:"details,omitempty"`
	// Severities are the quantitative scores for the whole record. Use
	// the Severity method for a rating.
	Severities []SeverityScore `json:"severity,omitempty"`
	// Affected lists the affected packages and their versions.
	Affected []Affected `json:"affected,omitempty"`
	// References link to advisories, fixes and reports.
	References []Reference `json:"references,omitempty"`
	// Credits name who found, reported or fixed the vulnerability.
	Credits []Credit `json:"credits,omitempty"`
	// DatabaseSpecific is the database's own JSON object, kept verbatim.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// IsWithdrawn reports whether the record has been withdrawn and should no
// longer produce findings.
func (v *Vulnerability) IsWithdrawn() bool { return !v.Withdrawn.IsZero() }

// Affected describes one affected package: the versions that contain the
// vulnerability, as ranges, as an explicit list, or both.
type Affected struct {
	// Package is the affected package. It may be empty only when every
	// range is a GIT range.
	Package Package `json:"package,omitzero"`
	// Severities are scores that hold for this package only; they take
	// precedence over the record's.
	Severities []SeverityScore `json:"severity,omitempty"`
	// Ranges are affected version ranges; a version in any one is affected.
	Ranges []Range `json:"ranges,omitempty"`
	// Versions enumerates affected versions; a version listed is affected.
	Versions []string `json:"versions,omitempty"`
	// EcosystemSpecific is the ecosystem's own JSON object (Go's affected
	// symbols, Debian's urgency), kept verbatim.
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	// DatabaseSpecific is the database's own JSON object (RustSec's
	// informational kind, for instance), kept verbatim.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Package identifies a package within an ecosystem.
type Package struct {
	// Ecosystem is the OSV ecosystem, possibly with a release suffix:
	// "Go", "PyPI", "Debian:9", "AlmaLinux:8", "Alpine:v3.18".
	Ecosystem string `json:"ecosystem"`
	// Name is the package name as the ecosystem spells it; for
	// distributions, the source package.
	Name string `json:"name"`
	// Purl is the package URL, when the database gives one.
	Purl string `json:"purl,omitempty"`
}

// RangeType says how the versions in a Range's events are ordered.
type RangeType string

// The range types of the OSV schema.
const (
	// RangeEcosystem orders versions by the package ecosystem's own rules.
	RangeEcosystem RangeType = "ECOSYSTEM"
	// RangeSemver orders versions as SemVer 2.0 (no leading "v").
	RangeSemver RangeType = "SEMVER"
	// RangeGit orders full-length commit hashes by ancestry in Repo.
	RangeGit RangeType = "GIT"
)

// Range is a timeline of events over one ordering of versions.
type Range struct {
	// Type says how to order the versions in Events.
	Type RangeType `json:"type"`
	// Repo is the repository URL; required for GIT ranges.
	Repo string `json:"repo,omitempty"`
	// Events are the introductions, fixes and limits, in schema order.
	Events []Event `json:"events"`
	// DatabaseSpecific is the database's own JSON object, kept verbatim.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one point of a Range's timeline. Exactly one field is set.
type Event struct {
	// Introduced is the first affected version; "0" means "since the
	// beginning".
	Introduced string `json:"introduced,omitempty"`
	// Fixed is the first version that is no longer affected.
	Fixed string `json:"fixed,omitempty"`
	// LastAffected is the last affected version (the next one is assumed
	// fixed). A range has Fixed events or LastAffected events, not both.
	LastAffected string `json:"last_affected,omitempty"`
	// Limit bounds the range from above; "*" means infinity.
	Limit string `json:"limit,omitempty"`
}

// Kind returns the name of the event's set field ("introduced", "fixed",
// "last_affected" or "limit") and its version; for an event with no field
// set, both are empty. With several fields set (an invalid event), the first
// in that order wins.
func (e Event) Kind() (kind, version string) {
	switch {
	case e.Introduced != "":
		return "introduced", e.Introduced
	case e.Fixed != "":
		return "fixed", e.Fixed
	case e.LastAffected != "":
		return "last_affected", e.LastAffected
	case e.Limit != "":
		return "limit", e.Limit
	}
	return "", ""
}

// SeverityType names the scoring method of a SeverityScore.
type SeverityType string

// The severity types of the OSV schema.
const (
	// CVSSv2 scores are CVSS v2.0 base vectors, e.g. "AV:N/AC:L/Au:N/C:P/I:P/A:P".
	CVSSv2 SeverityType = "CVSS_V2"
	// CVSSv3 scores are CVSS v3.0 or v3.1 vectors, e.g. "CVSS:3.1/AV:N/...".
	CVSSv3 SeverityType = "CVSS_V3"
	// CVSSv4 scores are CVSS v4.0 vectors, e.g. "CVSS:4.0/AV:N/...".
	CVSSv4 SeverityType = "CVSS_V4"
	// UbuntuPriority scores are Ubuntu's priorities: negligible, low,
	// medium, high or critical.
	UbuntuPriority SeverityType = "Ubuntu"
)

// SeverityScore is one quantitative severity: a method and its score.
type SeverityScore struct {
	Type  SeverityType `json:"type"`
	Score string       `json:"score"`
}

// Reference is a link to more information about the vulnerability.
type Reference struct {
	// Type is ADVISORY, ARTICLE, DETECTION, DISCUSSION, REPORT, FIX,
	// INTRODUCED, GIT, PACKAGE, EVIDENCE or WEB.
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit names a person or organisation that helped with the vulnerability.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	// Type is the role, e.g. FINDER, REPORTER or REMEDIATION_DEVELOPER.
	Type string `json:"type,omitempty"`
}
