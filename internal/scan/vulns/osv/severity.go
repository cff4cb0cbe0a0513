package osv

import (
	"encoding/json"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// rating is one candidate severity and where it came from.
type rating struct {
	sev    pipeline.Severity
	score  float64
	source string
	rank   int // CVSS version (20, 30, 31, 40); 0 for database-specific
}

// better reports whether r beats o: a later CVSS version, then a higher
// score, then a higher severity.
func (r rating) better(o rating) bool {
	if r.source == "" {
		return false
	}
	if o.source == "" || r.rank != o.rank {
		return o.source == "" || r.rank > o.rank
	}
	if r.score != o.score {
		return r.score > o.score
	}
	return r.sev > o.sev
}

func (r rating) result() (pipeline.Severity, float64, string) { return r.sev, r.score, r.source }

// Severity rates the record: the CVSS vector of the latest version found in
// the record's or any affected entry's severity list (v4.0 over v3.1 over
// v3.0 over v2; of several of one version, the highest score), else the
// highest database-specific rating (see SeverityFor), else
// pipeline.SeverityUnknown. It returns the severity, the CVSS score (0 when
// the rating is not a CVSS score) and the source ("CVSS:3.1", "GHSA",
// "Debian", "Ubuntu", "AlmaLinux", "Rocky Linux", "Red Hat", "RustSec"; empty
// when unknown). Go vulnerability database records carry no severity: they
// are unknown.
func (v *Vulnerability) Severity() (pipeline.Severity, float64, string) {
	best := bestCVSS(v.Severities)
	for i := range v.Affected {
		if r := bestCVSS(v.Affected[i].Severities); r.better(best) {
			best = r
		}
	}
	if best.source != "" {
		return best.result()
	}
	best = v.databaseRating()
	for i := range v.Affected {
		if r := v.Affected[i].databaseRating(); r.better(best) {
			best = r
		}
	}
	return best.result()
}

// SeverityFor rates the record for one affected entry (a, which should be
// one of v.Affected; nil rates the record alone): a's own CVSS, else the
// record's CVSS, else a's database-specific rating, else the record's.
//
// Database-specific ratings are GHSA's database_specific.severity (LOW,
// MODERATE, HIGH, CRITICAL), Ubuntu priorities (negligible counts as info),
// Debian urgencies in ecosystem_specific.urgency (unimportant counts as
// info), the Red Hat scale at the start of an AlmaLinux, Rocky Linux or Red
// Hat advisory's summary ("Important: kernel security update"; Moderate is
// medium, Important high) and RustSec's informational advisories
// (unmaintained, unsound, notice), which count as info.
func (v *Vulnerability) SeverityFor(a *Affected) (pipeline.Severity, float64, string) {
	if a != nil {
		if r := bestCVSS(a.Severities); r.source != "" {
			return r.result()
		}
	}
	if r := bestCVSS(v.Severities); r.source != "" {
		return r.result()
	}
	if a != nil {
		if r := a.databaseRating(); r.source != "" {
			return r.result()
		}
	}
	return v.databaseRating().result()
}

// bestCVSS picks the best-scored CVSS vector of a severity list; vectors
// that do not parse are skipped.
func bestCVSS(ss []SeverityScore) rating {
	var best rating
	for _, s := range ss {
		c, err := ScoreCVSS(s.Type, s.Score)
		if err != nil {
			continue
		}
		r := rating{sev: c.Severity(), score: c.Score, source: c.Source(), rank: cvssRank(c.Version)}
		if r.better(best) {
			best = r
		}
	}
	return best
}

func cvssRank(version string) int {
	switch version {
	case "4.0":
		return 40
	case "3.1":
		return 31
	case "3.0":
		return 30
	}
	return 20
}

// databaseRating rates the record from GHSA's database_specific.severity,
// Ubuntu priorities and the Red Hat scale in the summary.
func (v *Vulnerability) databaseRating() rating {
	best := ubuntuRating(v.Severities)
	var ds struct {
		Severity string `json:"severity"`
	}
	if len(v.DatabaseSpecific) > 0 && json.Unmarshal(v.DatabaseSpecific, &ds) == nil {
		if s, ok := ghsaSeverity(ds.Severity); ok {
			if r := (rating{sev: s, source: "GHSA"}); r.better(best) {
				best = r
			}
		}
	}
	if r := redHatRating(v.ID, v.Summary); r.better(best) {
		best = r
	}
	return best
}

// databaseRating rates an affected entry from Ubuntu priorities, Debian
// urgencies and RustSec's informational kinds.
func (a *Affected) databaseRating() rating {
	best := ubuntuRating(a.Severities)
	if strings.HasPrefix(a.Package.Ecosystem, "Debian") && len(a.EcosystemSpecific) > 0 {
		var es struct {
			Urgency string `json:"urgency"`
		}
		if json.Unmarshal(a.EcosystemSpecific, &es) == nil {
			if s, ok := debianUrgency(es.Urgency); ok {
				if r := (rating{sev: s, source: "Debian"}); r.better(best) {
					best = r
				}
			}
		}
	}
	if a.Package.Ecosystem == "crates.io" && len(a.DatabaseSpecific) > 0 {
		var ds struct {
			Informational *string `json:"informational"`
		}
		if json.Unmarshal(a.DatabaseSpecific, &ds) == nil && ds.Informational != nil && *ds.Informational != "" {
			if r := (rating{sev: pipeline.SeverityInfo, source: "RustSec"}); r.better(best) {
				best = r
			}
		}
	}
	return best
}

func ubuntuRating(ss []SeverityScore) rating {
	var best rating
	for _, s := range ss {
		if s.Type != UbuntuPriority {
			continue
		}
		if sev, ok := ubuntuPriority(s.Score); ok && sev != pipeline.SeverityUnknown {
			if r := (rating{sev: sev, source: "Ubuntu"}); r.better(best) {
				best = r
			}
		}
	}
	return best
}

// redHatRating reads the Red Hat severity scale that AlmaLinux, Rocky Linux
// and Red Hat errata put at the start of their summary.
func redHatRating(id, summary string) rating {
	prefix, _, _ := strings.Cut(id, "-")
	source := redHatFamily(prefix)
	if source == "" {
		return rating{}
	}
	word, _, found := strings.Cut(summary, ":")
	if !found {
		return rating{}
	}
	sev, ok := redHatSeverity(word)
	if !ok {
		return rating{}
	}
	return rating{sev: sev, source: source}
}

// ghsaSeverity maps GHSA's database_specific.severity.
func ghsaSeverity(word string) (pipeline.Severity, bool) {
	switch strings.ToUpper(strings.TrimSpace(word)) {
	case "LOW":
		return pipeline.SeverityLow, true
	case "MODERATE", "MEDIUM":
		return pipeline.SeverityMedium, true
	case "HIGH":
		return pipeline.SeverityHigh, true
	case "CRITICAL":
		return pipeline.SeverityCritical, true
	}
	return pipeline.SeverityUnknown, false
}

// ubuntuPriority maps an Ubuntu priority; it also validates Ubuntu severity
// entries. "untriaged" is valid but says nothing.
func ubuntuPriority(word string) (pipeline.Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "negligible":
		return pipeline.SeverityInfo, true
	case "low":
		return pipeline.SeverityLow, true
	case "medium":
		return pipeline.SeverityMedium, true
	case "high":
		return pipeline.SeverityHigh, true
	case "critical":
		return pipeline.SeverityCritical, true
	case "untriaged":
		return pipeline.SeverityUnknown, true
	}
	return pipeline.SeverityUnknown, false
}

// debianUrgency maps a Debian security tracker urgency; a trailing "*"
// (urgency taken from elsewhere) is ignored. "not yet assigned" and
// "end-of-life" say nothing.
func debianUrgency(word string) (pipeline.Severity, bool) {
	switch strings.ToLower(strings.TrimRight(strings.TrimSpace(word), "*")) {
	case "unimportant":
		return pipeline.SeverityInfo, true
	case "low":
		return pipeline.SeverityLow, true
	case "medium":
		return pipeline.SeverityMedium, true
	case "high":
		return pipeline.SeverityHigh, true
	}
	return pipeline.SeverityUnknown, false
}

// redHatSeverity maps the Red Hat severity scale.
func redHatSeverity(word string) (pipeline.Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "low":
		return pipeline.SeverityLow, true
	case "moderate":
		return pipeline.SeverityMedium, true
	case "important":
		return pipeline.SeverityHigh, true
	case "critical":
		return pipeline.SeverityCritical, true
	}
	return pipeline.SeverityUnknown, false
}

// redHatFamily names the distribution behind an advisory ID prefix whose
// summaries start with the Red Hat severity scale.
func redHatFamily(prefix string) string {
	switch prefix {
	case "ALSA", "ALBA", "ALEA":
		return "AlmaLinux"
	case "RLSA", "RLBA", "RLEA", "RXSA":
		return "Rocky Linux"
	case "RHSA", "RHBA", "RHEA":
		return "Red Hat"
	}
	return ""
}
