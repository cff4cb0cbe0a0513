package osv

import (
	"fmt"
	"strings"
)

// affectedList keeps the sound affected entries and the sound parts of
// each. Ranges and listed versions are independent (a version is affected if
// any one of them says so), so a bad range or an empty version drops only
// itself: matching loses what the advisory said there, and nothing more. A
// bad event drops its whole range, since a range missing an event means
// something else. A bad package drops the entry, and so does losing every
// range and version (an entry without any reads as "all versions").
func (c *checker) affectedList(as []Affected) []Affected {
	out := as[:0]
	for i := range as {
		a := as[i]
		if c.affected(i, &a) {
			out = append(out, a)
		}
	}
	return nilIfEmpty(out)
}

func (c *checker) affected(i int, a *Affected) bool {
	at := func(sub string) string { return fmt.Sprintf("affected[%d]%s", i, sub) }
	before := c.problems()
	c.pkg(a, at)
	ok := c.problems() == before
	had := len(a.Ranges) + len(a.Versions)
	ranges := a.Ranges[:0]
	for j := range a.Ranges {
		r := a.Ranges[j]
		if c.rng(&r, func(sub string) string { return at(fmt.Sprintf(".ranges[%d]%s", j, sub)) }) {
			ranges = append(ranges, r)
		}
	}
	a.Ranges = nilIfEmpty(ranges)
	versions := a.Versions[:0]
	for k, v := range a.Versions {
		if strings.TrimSpace(v) == "" {
			c.drop(at(fmt.Sprintf(".versions[%d]", k)), "empty version", nil)
			continue
		}
		versions = append(versions, v)
	}
	a.Versions = nilIfEmpty(versions)
	if ok && had > 0 && len(a.Ranges)+len(a.Versions) == 0 {
		ok = false
		if c.lenient { // strictly, the problems above already sink the record
			c.drop(at(""), "no sound range or version left", nil)
		}
	}
	if len(a.Severities) > 0 {
		a.Severities = c.severities(at(".severity"), a.Severities)
	}
	a.EcosystemSpecific = c.object(a.EcosystemSpecific, func() string { return at(".ecosystem_specific") })
	a.DatabaseSpecific = c.object(a.DatabaseSpecific, func() string { return at(".database_specific") })
	return ok
}

// pkg requires an ecosystem and a name, unless every range is a GIT range
// and the package is left out entirely.
func (c *checker) pkg(a *Affected, at func(string) string) {
	if a.Package == (Package{}) && len(a.Ranges) > 0 && allGit(a.Ranges) {
		return
	}
	if a.Package.Ecosystem == "" {
		c.drop(at(".package.ecosystem"), "missing", nil)
	}
	if a.Package.Name == "" {
		c.drop(at(".package.name"), "missing", nil)
	}
}

func allGit(rs []Range) bool {
	for _, r := range rs {
		if r.Type != RangeGit {
			return false
		}
	}
	return true
}

// rng checks one range and reports whether it is sound. A database_specific
// that is not an object is dropped alone: it takes no part in matching.
func (c *checker) rng(r *Range, at func(string) string) bool {
	before := c.problems()
	c.rangeProblems(r, at)
	ok := c.problems() == before
	r.DatabaseSpecific = c.object(r.DatabaseSpecific, func() string { return at(".database_specific") })
	return ok
}

func (c *checker) rangeProblems(r *Range, at func(string) string) {
	switch r.Type {
	case RangeEcosystem, RangeSemver, RangeGit:
	case "":
		c.drop(at(".type"), "missing", nil)
		return
	default:
		c.drop(at(".type"), fmt.Sprintf("unknown range type %q (want ECOSYSTEM, SEMVER or GIT)", r.Type), nil)
		return
	}
	if r.Type == RangeGit && r.Repo == "" {
		c.drop(at(".repo"), "missing (required for GIT ranges)", nil)
	}
	if len(r.Events) == 0 {
		c.drop(at(".events"), `empty (want at least one "introduced")`, nil)
		return
	}
	c.events(r, at)
}

// events checks each event and the timeline: a "fixed" or "last_affected"
// must follow an "introduced", and a range has fixed events or
// last_affected events, not both.
func (c *checker) events(r *Range, at func(string) string) {
	var introduced, fixed, lastAffected, bad bool
	for k, e := range r.Events {
		kind, msg := checkEvent(r.Type, e)
		if msg != "" {
			c.drop(at(fmt.Sprintf(".events[%d]", k)), msg, nil)
			bad = true
			continue
		}
		switch kind {
		case "introduced":
			introduced = true
			continue
		case "fixed":
			fixed = true
		case "last_affected":
			lastAffected = true
		default:
			continue
		}
		if !introduced {
			c.drop(at(fmt.Sprintf(".events[%d]", k)), fmt.Sprintf(`%q before any "introduced"`, kind), nil)
			bad = true
		}
	}
	if !introduced && !bad {
		c.drop(at(".events"), `no "introduced" event`, nil)
	}
	if fixed && lastAffected {
		c.drop(at(".events"), `both "fixed" and "last_affected" events (want one kind)`, nil)
	}
}

// checkEvent returns the event's kind, or a problem: no field or several
// set, or a version that does not fit the range type.
func checkEvent(t RangeType, e Event) (kind, msg string) {
	fields := [...]struct{ name, v string }{
		{"introduced", e.Introduced}, {"fixed", e.Fixed}, {"last_affected", e.LastAffected}, {"limit", e.Limit},
	}
	n := 0
	for _, f := range fields {
		if f.v != "" {
			n++
		}
	}
	switch n {
	case 0:
		return "", "empty event (want one of introduced, fixed, last_affected or limit)"
	case 1:
	default:
		var set []string
		for _, f := range fields {
			if f.v != "" {
				set = append(set, f.name)
			}
		}
		return "", fmt.Sprintf("%s in one event (want exactly one)", quoteJoin(set))
	}
	kind, v := e.Kind()
	switch {
	case kind == "introduced" && v == "0", kind == "limit" && strings.Contains(v, "*"):
		return kind, ""
	case t == RangeSemver && !isSemver(v):
		return "", fmt.Sprintf("%q version %q is not SemVer 2.0", kind, v)
	case t == RangeGit && !isCommitHash(v):
		return "", fmt.Sprintf("%q commit %q is not a full-length hash", kind, v)
	}
	return kind, ""
}

// quoteJoin renders ["a", "b", "c"] as `"a", "b" and "c"`.
func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
