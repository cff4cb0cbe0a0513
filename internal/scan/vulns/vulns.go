// Package vulns assesses an inventory of installed packages against OSV
// advisories: for every package it asks a Source for the advisories that may
// affect it, evaluates them (package match), and turns each vulnerability
// into a pipeline.Finding with its severity, fixed version and ids, plus an
// upgrade plan per package.
//
// The subpackages hold the parts: version (ordering per ecosystem), osv
// (records and severity), match (range evaluation, alias merge), vulndb (the
// offline database) and vex (OpenVEX statements).
package vulns

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// Source gives the advisories that may affect a package: those of its
// ecosystem family that name its name or source name. The assessment
// evaluates them, so a Source may return more than affect it. The offline
// database (vulndb.DB) implements it. Implementations are safe for
// concurrent use.
type Source interface {
	Advisories(ctx context.Context, p match.Package) ([]*osv.Vulnerability, error)
}

// Package is one installed package to assess.
type Package struct {
	match.Package
	// PURL is the package URL, for VEX statements and reports.
	PURL string
	// Locations are the files that list the package, relative to the
	// scanned root; each gets its own findings.
	Locations []string
}

// Upgrade is one package's line of the upgrade plan.
type Upgrade struct {
	Package Package
	// To is the lowest version that fixes every finding of the package that
	// has a fix; empty when none has one.
	To string
	// Fixes counts the findings To fixes; Unfixed those without a fix.
	Fixes, Unfixed int
}

// Assessment is the outcome of Assess.
type Assessment struct {
	// Findings are sorted by package (ecosystem, name, version), location
	// and id.
	Findings []pipeline.Finding
	// Upgrades has one line per package with findings, in the same order.
	Upgrades []Upgrade
	// Warnings are advisories that could not be evaluated (naming the
	// advisory and field); their other ranges were still used.
	Warnings []string
}

// Config says how Assess works.
type Config struct {
	Source Source
	// OnlyFixed leaves out vulnerabilities without a fixed version.
	OnlyFixed bool
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
}

// Assess looks every package up in cfg.Source and returns the findings.
// Packages without a name or version are skipped (a lockfile entry without a
// pinned version cannot be assessed). It stops at the first error from the
// Source, and returns ctx.Err() when cancelled.
func Assess(ctx context.Context, pkgs []Package, cfg Config) (*Assessment, error) {
	if cfg.Source == nil {
		return nil, fmt.Errorf("%w: vulnerability assessment without an advisory source", pipeline.ErrInvalid)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Assessment{}
	warned := map[string]bool{}
	for _, p := range sorted(pkgs) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p.Name == "" || p.Version == "" || p.Ecosystem == "" {
			continue
		}
		advs, err := cfg.Source.Advisories(ctx, p.Package)
		if err != nil {
			return nil, fmt.Errorf("look up %s %s: %w", p.Ecosystem, p.Name, err)
		}
		results, err := match.Match(advs, p.Package)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !warned[line] {
					warned[line] = true
					a.Warnings = append(a.Warnings, line)
				}
			}
		}
		log.Debug("vulns: assessed", "ecosystem", p.Ecosystem, "package", p.Name, "version", p.Version,
			"advisories", len(advs), "matches", len(results))
		a.add(p, results, cfg.OnlyFixed)
	}
	return a, nil
}

// add records one package's results.
func (a *Assessment) add(p Package, results []match.Result, onlyFixed bool) {
	if onlyFixed {
		results = slices.DeleteFunc(results, func(r match.Result) bool { return r.Fixed == "" })
	}
	if len(results) == 0 {
		return
	}
	locs := p.Locations
	if len(locs) == 0 {
		locs = []string{""}
	}
	// One finding per file that pins the package: each file needs its own
	// fix (a monorepo's go.mod files are upgraded one by one).
	for _, loc := range locs {
		for _, r := range results {
			a.Findings = append(a.Findings, finding(p, loc, r))
		}
	}
	to, fixes := match.UpgradePlan(results)
	a.Upgrades = append(a.Upgrades, Upgrade{Package: p, To: to, Fixes: fixes, Unfixed: len(results) - fixes})
}

// sorted returns the packages ordered by ecosystem, name and version, so
// findings come out in a stable order.
func sorted(pkgs []Package) []Package {
	out := slices.Clone(pkgs)
	slices.SortStableFunc(out, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version))
	})
	return out
}

// finding turns one match in the file at loc into a Finding.
func finding(p Package, loc string, r match.Result) pipeline.Finding {
	title := r.Summary
	if title == "" {
		title = r.ID
	}
	fix := "no fixed version yet"
	remediation := fmt.Sprintf("no fixed version of %s yet; see the advisory for mitigations", p.Name)
	if r.Fixed != "" {
		fix = "fixed in " + r.Fixed
		remediation = fmt.Sprintf("upgrade %s to %s or later", p.Name, r.Fixed)
	}
	desc := []string{fix, title}
	if p.SourceName != "" && p.SourceName != p.Name {
		desc = append(desc, "source package: "+p.SourceName)
	}
	if r.SeveritySource != "" {
		desc = append(desc, "severity from "+r.SeveritySource)
	}
	refs := []string{"https://osv.dev/vulnerability/" + r.ID}
	return pipeline.Finding{
		Kind:        pipeline.KindVuln,
		RuleID:      r.ID,
		Aliases:     r.Aliases,
		Severity:    r.Severity,
		CVSS:        r.Score,
		Title:       title,
		Description: strings.Join(desc, "\n"),
		Location:    pipeline.Location{Path: loc, Package: p.Name, Version: p.Version},
		// The version stays out: the same vulnerability in the same
		// package is the same finding after an upgrade that did not fix
		// it, so baselines and ignore entries keep holding.
		Fingerprint: pipeline.Fingerprint("vuln", Family(p.Ecosystem), p.Name, r.ID, loc),
		Remediation: remediation,
		References:  refs,
	}
}

// Family is an ecosystem without its release: "Debian:9" → "Debian".
func Family(ecosystem string) string {
	name, _, _ := strings.Cut(ecosystem, ":")
	return name
}

// maxDBAgeUnit renders ages in days from two days on, else in hours.
const maxDBAgeUnit = 48 * time.Hour

// StaleWarning says the database is older than a scan should trust, or
// returns "" when age is within maxAge.
func StaleWarning(age, maxAge time.Duration) string {
	if age <= maxAge {
		return ""
	}
	when := fmt.Sprintf("%d hours", int(age.Hours()))
	if age >= maxDBAgeUnit {
		when = fmt.Sprintf("%d days", int(age.Hours()/24))
	}
	return "vulnerability database is " + when + " old (run: secpipe db update)"
}

// CoverageWarnings names the ecosystems of pkgs for which covers (the
// database's Manifest.Covers) says no advisory exists: their packages were
// not really checked, which a clean report must not hide.
func CoverageWarnings(pkgs []Package, covers func(ecosystem string) bool) []string {
	count := map[string]int{}
	var order []string
	for _, p := range pkgs {
		if p.Ecosystem == "" || p.Version == "" || covers(p.Ecosystem) {
			continue
		}
		if count[p.Ecosystem] == 0 {
			order = append(order, p.Ecosystem)
		}
		count[p.Ecosystem]++
	}
	var out []string
	for _, eco := range order {
		out = append(out, fmt.Sprintf("the database holds no %s advisories: %d packages were not checked (run: secpipe db update --ecosystem %s)",
			eco, count[eco], Family(eco)))
	}
	return out
}

// IsAdvisoryID reports whether an ignore entry's rule names a
// vulnerability (CVE-2018-17182, GHSA-…, GO-2022-0001, DSA-4308-1) rather
// than a secret or configuration rule, whose ids are lower-case words.
func IsAdvisoryID(rule string) bool {
	prefix, rest, ok := strings.Cut(rule, "-")
	if !ok || prefix == "" || rest == "" || strings.ToUpper(prefix) != prefix {
		return false
	}
	return strings.ContainsAny(rest, "0123456789")
}
