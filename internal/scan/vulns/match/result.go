package match

import (
	"cmp"
	"errors"
	"slices"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// Result is one vulnerability found in one package. Advisories that are
// aliases of each other (GHSA-x and GO-y both naming CVE-z) make one Result.
type Result struct {
	// ID is the advisory's own id; of several merged advisories, the one
	// that sorts first (so the same inputs always give the same id).
	ID string
	// Aliases are every other id of the vulnerability: the merged
	// advisories' ids and all their aliases, sorted, without ID.
	Aliases []string
	// Package is the affected package.
	Package Package
	// Severity is the highest rating among the merged advisories, as
	// osv.Vulnerability.SeverityFor rates the matching affected entry.
	Severity pipeline.Severity
	// Score is the CVSS base score behind Severity; 0 when the rating is
	// not a CVSS score.
	Score float64
	// SeveritySource names the scoring behind Severity ("CVSS:3.1",
	// "GHSA", "Debian"); empty when unknown.
	SeveritySource string
	// Fixed is the lowest version that fixes the vulnerability (see
	// Affects); of several merged advisories, the highest they name, since
	// databases add fixes at different times. Empty when none names a fix.
	Fixed string
	// Summary is the summary of the advisory named by ID, or else the first
	// merged advisory that has one.
	Summary string
}

// Match returns the vulnerabilities of vulns that affect p, one Result per
// vulnerability, sorted by ID. Withdrawn advisories are skipped. The error
// joins the problems of advisories that could not be evaluated (each naming
// the advisory and field, see Affects); the Results are still the complete
// answer for every other advisory.
func Match(vulns []*osv.Vulnerability, p Package) ([]Result, error) {
	var results []Result
	var errs []error
	seen := map[string]bool{}
	for _, v := range vulns {
		vd, err := evaluate(v, p)
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			errs = append(errs, err)
		}
		if !vd.hit {
			continue
		}
		results = append(results, newResult(v, p, vd))
	}
	return mergeAliases(results), errors.Join(errs...)
}

// newResult rates one matching advisory: the highest rating among the
// affected entries that hold the version.
func newResult(v *osv.Vulnerability, p Package, vd verdict) Result {
	r := Result{
		ID:      v.ID,
		Aliases: sortedSet(v.Aliases, v.ID),
		Package: p,
		Fixed:   vd.fixed(p.Ecosystem),
		Summary: v.Summary,
	}
	for _, a := range vd.entries {
		sev, score, src := v.SeverityFor(a)
		if better(sev, score, r.Severity, r.Score) || r.SeveritySource == "" && src != "" && sev == r.Severity {
			r.Severity, r.Score, r.SeveritySource = sev, score, src
		}
	}
	return r
}

// better reports whether rating (s, score) beats (t, tscore): a higher
// severity, or the same one with a higher score.
func better(s pipeline.Severity, score float64, t pipeline.Severity, tscore float64) bool {
	return s > t || s == t && score > tscore
}

// mergeAliases joins results whose id sets (id plus aliases) overlap,
// transitively, and sorts the merged results by ID.
func mergeAliases(results []Result) []Result {
	parent := make([]int, len(results))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, r := range results {
		for _, id := range append([]string{r.ID}, r.Aliases...) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
				continue
			}
			owner[id] = i
		}
	}
	groups := map[int][]Result{}
	var roots []int
	for i, r := range results {
		root := find(i)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], r)
	}
	out := make([]Result, 0, len(roots))
	for _, root := range roots {
		out = append(out, merge(groups[root]))
	}
	slices.SortFunc(out, func(a, b Result) int {
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.Package.Name, b.Package.Name)
	})
	return out
}

// merge folds the results of one vulnerability into one.
func merge(group []Result) Result {
	slices.SortFunc(group, func(a, b Result) int { return cmp.Compare(a.ID, b.ID) })
	m := group[0]
	var ids, fixes []string
	unfixed := true
	for _, r := range group {
		ids = append(ids, r.ID)
		ids = append(ids, r.Aliases...)
		if r.Fixed != "" {
			fixes = append(fixes, r.Fixed)
			unfixed = false
		}
		if better(r.Severity, r.Score, m.Severity, m.Score) {
			m.Severity, m.Score, m.SeveritySource = r.Severity, r.Score, r.SeveritySource
		}
		if m.Summary == "" {
			m.Summary = r.Summary
		}
	}
	m.Aliases = sortedSet(ids, m.ID)
	m.Fixed = ""
	if !unfixed {
		m.Fixed = highest(m.Package.Ecosystem, fixes)
	}
	return m
}

// sortedSet returns the distinct non-empty strings of ids other than self,
// sorted; nil when there are none.
func sortedSet(ids []string, self string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && id != self {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// UpgradePlan returns, for the results of one package, the lowest version
// that fixes all the findings that have a fix (the highest of their Fixed
// versions under the package ecosystem's ordering) and how many findings it
// fixes. The others (len(results)-fixes) have no known fix. version is empty
// when none has a fix.
func UpgradePlan(results []Result) (version string, fixes int) {
	var fixed []string
	eco := ""
	for _, r := range results {
		if r.Fixed == "" {
			continue
		}
		eco = r.Package.Ecosystem
		fixed = append(fixed, r.Fixed)
	}
	if len(fixed) == 0 {
		return "", 0
	}
	return highest(eco, fixed), len(fixed)
}
