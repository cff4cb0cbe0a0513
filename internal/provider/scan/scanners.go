package scan

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
	"github.com/secpipe/secpipe/internal/rootfs"
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
	out := output{owns: func(e gate.Entry) bool { return e.Package != "" || looksLikeAdvisory(e.Rule) }}
	db, err := vulndb.Open(dbDir)
	if err != nil {
		return out, fmt.Errorf("scan vulns: %w", err)
	}
	defer db.Close()
	inv, err := inventory(ctx, dir, exts, log)
	if err != nil {
		return out, fmt.Errorf("scan vulns: %w", err)
	}
	out.warnings = append(out.warnings, inv.Warnings...)
	m := db.Manifest()
	if age := m.Age(now); age > maxDBAge {
		out.warnings = append(out.warnings, fmt.Sprintf("vulnerability database is %d days old (run: secpipe db update)", int(age.Hours()/24)))
	}
	out.warnings = append(out.warnings, coverageWarnings(inv, m)...)
	pkgs := make([]vulns.Package, 0, len(inv.Packages))
	for _, p := range inv.Packages {
		pkgs = append(pkgs, vulns.Package{Package: p.MatchPackage(), PURL: p.PURL, Locations: p.Locations})
	}
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

// inventory opens dir as a root (a root filesystem or a source tree, told
// apart by its contents) and collects its packages.
func inventory(ctx context.Context, dir string, exts []sbom.Extractor, log *slog.Logger) (*sbom.Inventory, error) {
	root, kind, err := rootfs.Open(dir, rootfs.Options{Keep: sbom.Keep(exts)})
	if err != nil {
		return nil, err
	}
	if c, ok := root.(io.Closer); ok {
		defer c.Close()
	}
	inv, err := sbom.Collect(ctx, root, kind, sbom.Config{Extractors: exts, Logger: log})
	if err != nil {
		return nil, err
	}
	if d, ok := root.(*rootfs.DirRoot); ok {
		for _, p := range d.Problems() {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("inventory: part of the target is unreadable; packages may be missing: %v", p))
		}
	}
	return inv, nil
}

// coverageWarnings names the ecosystems of the inventory for which the
// database holds no advisory: their packages were not really checked.
func coverageWarnings(inv *sbom.Inventory, m vulndb.Manifest) []string {
	count := map[string]int{}
	var order []string
	for _, p := range inv.Packages {
		family, _, _ := strings.Cut(p.Ecosystem, ":")
		if p.Ecosystem == "" || p.Version == "" || m.Ecosystems[p.Ecosystem] > 0 || m.Ecosystems[family] > 0 {
			continue
		}
		if count[p.Ecosystem] == 0 {
			order = append(order, p.Ecosystem)
		}
		count[p.Ecosystem]++
	}
	var out []string
	for _, eco := range order {
		family, _, _ := strings.Cut(eco, ":")
		out = append(out, fmt.Sprintf("the database holds no %s advisories: %d packages were not checked (run: secpipe db update --ecosystem %s)",
			eco, count[eco], family))
	}
	return out
}

// looksLikeAdvisory reports whether an ignore entry's rule names a
// vulnerability (CVE-2018-17182, GHSA-…, DSA-4308-1) rather than a secret
// or configuration rule, whose ids are lower-case words.
func looksLikeAdvisory(rule string) bool {
	prefix, rest, ok := strings.Cut(rule, "-")
	if !ok || prefix == "" || rest == "" || strings.ToUpper(prefix) != prefix {
		return false
	}
	return strings.ContainsAny(rest, "0123456789")
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
