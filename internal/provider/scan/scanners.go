package scan

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/sbom"
	"github.com/secpipe/secpipe/internal/scan/secrets"
	"github.com/secpipe/secpipe/internal/scan/vulns"
	"github.com/secpipe/secpipe/internal/scan/vulns/vulndb"
)

// maxDBAge is how old the vulnerability database may be before a scan
// warns, as secpipe scan vulns does by default.
const maxDBAge = 7 * 24 * time.Hour

// output is what one scanner produced.
type output struct {
	findings []pipeline.Finding
	warnings []string
	upgrades []report.Upgrade
	// owns says which ignore entries belong to this scanner, for the
	// warning about entries that matched nothing.
	owns func(gate.Entry) bool
	// inventory is what the vulns scanner judged (nil for the others).
	inventory *sbom.Inventory
}

// scanWith runs a pipeline.Scanner over dir and collects its findings.
func scanWith(ctx context.Context, sc pipeline.Scanner, dir string, out *output) error {
	err := sc.Scan(ctx, dir, func(f pipeline.Finding) error {
		out.findings = append(out.findings, f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("scan %s: %w", sc.Name(), err)
	}
	return nil
}

// runSecrets runs the secrets scanner with the built-in rules.
func runSecrets(ctx context.Context, dir string, log *slog.Logger) (output, error) {
	rules := secrets.Rules()
	sc, err := secrets.New(secrets.Config{Rules: rules, Logger: log})
	if err != nil {
		return output{}, fmt.Errorf("scan secrets: %w", err)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
	}
	out := output{owns: func(e gate.Entry) bool { return ids[e.Rule] }}
	return out, scanWith(ctx, sc, dir, &out)
}

// runConfig runs the configuration checks of the explicit list.
func runConfig(ctx context.Context, dir string, checks []config.Check, log *slog.Logger) (output, error) {
	sc, err := config.New(config.Config{Checks: checks, Logger: log})
	if err != nil {
		return output{}, fmt.Errorf("scan config: %w", err)
	}
	ids := map[string]bool{}
	for _, c := range checks {
		ids[c.ID] = true
	}
	out := output{owns: func(e gate.Entry) bool { return ids[e.Rule] }}
	return out, scanWith(ctx, sc, dir, &out)
}

// runVulns takes the inventory of dir with the extractors and assesses it
// against the database in dbDir.
func runVulns(ctx context.Context, dir, dbDir string, exts []sbom.Extractor, now time.Time, log *slog.Logger) (output, error) {
	out := output{owns: func(e gate.Entry) bool { return e.Package != "" || vulns.IsAdvisoryID(e.Rule) }}
	db, err := vulndb.Open(dbDir)
	if err != nil {
		return out, fmt.Errorf("scan vulns: %w", err)
	}
	defer db.Close()
	inv, err := sbom.CollectPath(ctx, dir, 0, sbom.Config{Extractors: exts, Logger: log})
	if err != nil {
		return out, fmt.Errorf("scan vulns: %w", err)
	}
	out.inventory = inv
	out.warnings = append(out.warnings, inv.Warnings...)
	m := db.Manifest()
	if w := vulns.StaleWarning(m.Age(now), maxDBAge); w != "" {
		out.warnings = append(out.warnings, w)
	}
	pkgs := make([]vulns.Package, 0, len(inv.Packages))
	for _, p := range inv.Packages {
		pkgs = append(pkgs, vulns.Package{Package: p.MatchPackage(), PURL: p.PURL, Locations: p.Locations})
	}
	out.warnings = append(out.warnings, vulns.CoverageWarnings(pkgs, m.Covers)...)
	a, err := vulns.Assess(ctx, pkgs, vulns.Config{Source: db, Logger: log})
	if err != nil {
		return out, fmt.Errorf("scan vulns: %w", err)
	}
	out.findings, out.warnings = a.Findings, append(out.warnings, a.Warnings...)
	for _, u := range a.Upgrades {
		out.upgrades = append(out.upgrades, report.Upgrade{Ecosystem: u.Package.Ecosystem, Package: u.Package.Name,
			Version: u.Package.Version, To: u.To, Fixes: u.Fixes, Unfixed: u.Unfixed})
	}
	return out, nil
}

// maxListed bounds the ids a warning lists.
const maxListed = 10

// gateWarnings are what the gate's inputs call for: expired ignore
// entries, so people renew or drop them; entries of the scanners that ran
// that matched nothing, so stale ones go; and, with unknown_severity warn,
// the findings without a rating that did not count.
func gateWarnings(p gate.Policy, s settings, findings []pipeline.Finding, outs []output, now time.Time) []string {
	var out []string
	if p.Ignore != nil {
		for _, en := range p.Ignore.Expired(now) {
			out = append(out, fmt.Sprintf("ignore entry %s expired on %s and no longer suppresses (reason was: %s)",
				en.Source, en.Expires.Format(time.DateOnly), en.Reason))
		}
		for _, en := range p.Ignore.Unused(findings) {
			if !en.ExpiredAt(now) && ownedBy(outs, en) {
				out = append(out, fmt.Sprintf("ignore entry %s matched no finding; remove it if the problem is gone", en.Source))
			}
		}
	}
	if s.Unknown != "warn" {
		return out
	}
	var ids []string
	for _, f := range findings {
		if !gate.Known(f.Severity) && f.Suppressed == nil {
			ids = append(ids, f.RuleID)
		}
	}
	if len(ids) > maxListed {
		ids = append(ids[:maxListed], fmt.Sprintf("and %d more", len(ids)-maxListed))
	}
	if len(ids) > 0 {
		out = append(out, fmt.Sprintf("findings without a severity rating do not count against the gate (unknown_severity warn): %s",
			strings.Join(ids, ", ")))
	}
	return out
}

// ownedBy reports whether one of the scanners that ran claims en.
func ownedBy(outs []output, en gate.Entry) bool {
	for _, o := range outs {
		if o.owns != nil && o.owns(en) {
			return true
		}
	}
	return false
}
