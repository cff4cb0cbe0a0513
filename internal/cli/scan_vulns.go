package cli

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/vulns"
	"github.com/secpipe/secpipe/internal/scan/vulns/vex"
	"github.com/secpipe/secpipe/internal/scan/vulns/vulndb"
)

// defaultMaxDBAge is how old the database may be before scans warn.
const defaultMaxDBAge = 7 * 24 * time.Hour

// maxListed bounds the ids a warning lists.
const maxListed = 10

// vulnFlags are the flags of scan vulns beyond the gate's.
type vulnFlags struct {
	kind            string
	db              string
	unknownSeverity string
	onlyFixed       bool
	vex             []string
	vexProduct      string
	maxDBAge        time.Duration
	verbose         bool
}

func newScanVulnsCmd(e *env) *cobra.Command {
	var (
		g  gateFlags
		vf vulnFlags
	)
	cmd := &cobra.Command{
		Use:   "vulns TARGET",
		Short: "Find known vulnerabilities in OS packages and dependencies",
		Long: `Find known vulnerabilities: take the inventory of TARGET (OS packages,
lockfiles, Go binaries) and match it against the offline OSV database (see
secpipe db). TARGET is a source tree, a root filesystem directory, a rootfs
tarball, an OCI image layout (oci:DIR[:TAG]) or a CycloneDX/SPDX SBOM.

Each finding names the advisory (with its aliases), the package and version,
the severity from the advisory's CVSS vector or its database's own rating,
and the fixed version; the table ends with an upgrade plan per package.
--unknown-severity says what an advisory without any rating does to the
gate: fail (it blocks), warn (it does not block; a warning lists it) or
ignore. Ignore entries may name an advisory by any of its ids, or a package
(NAME or NAME@VERSION); OpenVEX documents (--vex) suppress what they state
not_affected or fixed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScanVulns(cmd, e, &g, &vf, args[0])
		},
	}
	g.register(cmd, "high")
	f := cmd.Flags()
	f.StringVar(&vf.kind, "as", "auto", "treat TARGET as `KIND`: auto, rootfs or source")
	f.StringVar(&vf.db, "db", "", "vulnerability database `DIR` (default: $SECPIPE_DB_DIR or the user cache directory)")
	f.StringVar(&vf.unknownSeverity, "unknown-severity", "fail", "what an advisory without a severity does to the gate: fail, warn or ignore")
	f.BoolVar(&vf.onlyFixed, "only-fixed", false, "report only vulnerabilities that have a fixed version")
	f.StringArrayVar(&vf.vex, "vex", nil, "OpenVEX `FILE` whose not_affected and fixed statements suppress findings (repeatable)")
	f.StringVar(&vf.vexProduct, "vex-product", "", "the scanned image's `ID` (purl or @id) in VEX statements (default: TARGET)")
	f.DurationVar(&vf.maxDBAge, "max-db-age", defaultMaxDBAge, "warn when the database is older than `AGE`")
	f.BoolVarP(&vf.verbose, "verbose", "v", false, "log each file and package looked at to standard error")
	return cmd
}

func runScanVulns(cmd *cobra.Command, e *env, g *gateFlags, vf *vulnFlags, target string) error {
	kind, err := parseKind(vf.kind)
	if err != nil {
		return err
	}
	switch vf.unknownSeverity {
	case "fail", "warn", "ignore":
	default:
		return usageError{fmt.Errorf("--unknown-severity %q: want fail, warn or ignore", vf.unknownSeverity)}
	}
	if cmd.Flags().Changed("unknown-severity") && cmd.Flags().Changed("unknown-as") {
		return usageError{fmt.Errorf("--unknown-severity and --unknown-as exclude each other")}
	}
	vexDocs, err := vex.LoadSet(vf.vex)
	if err != nil {
		return err
	}
	dir, err := dbDir(vf.db)
	if err != nil {
		return err
	}
	s := &vulnScan{e: e, flags: vf, kind: kind, dir: dir, vex: vexDocs, log: cliLogger(e, vf.verbose)}
	job := scanJob{scanner: s, target: target, root: localRoot(target), flags: g,
		owns:   func(en gate.Entry) bool { return en.Package != "" || vulns.IsAdvisoryID(en.Rule) },
		finish: s.finish,
	}
	if !cmd.Flags().Changed("unknown-as") {
		job.adjust = func(p *gate.Policy) {
			switch vf.unknownSeverity {
			case "fail":
				p.UnknownAs = pipeline.SeverityCritical
			default:
				p.SkipUnknown = true
			}
		}
	}
	return runScan(cmd.Context(), e, job)
}

// vulnScan is the vulnerability scanner as the command line runs it: it
// keeps the upgrade plan and warnings of its scan for the report.
type vulnScan struct {
	e     *env
	flags *vulnFlags
	kind  rootfs.Kind
	dir   string
	vex   vex.Set
	log   *slog.Logger

	upgrades []report.Upgrade
	warnings []string
}

var _ pipeline.Scanner = (*vulnScan)(nil)

// Name returns "vulns".
func (s *vulnScan) Name() string { return "vulns" }

// Scan takes the inventory of target, matches it against the database and
// emits one finding per vulnerability per package.
func (s *vulnScan) Scan(ctx context.Context, target string, emit func(pipeline.Finding) error) error {
	db, err := vulndb.Open(s.dir)
	if err != nil {
		return err
	}
	defer db.Close()
	inv, err := loadInventory(ctx, target, s.kind, s.log)
	if err != nil {
		return err
	}
	s.warnings = append(s.warnings, inv.Warnings...)
	m := db.Manifest()
	if w := vulns.StaleWarning(m.Age(time.Now()), s.flags.maxDBAge); w != "" {
		s.warnings = append(s.warnings, w)
	}
	pkgs := make([]vulns.Package, 0, len(inv.Packages))
	for _, p := range inv.Packages {
		pkgs = append(pkgs, vulns.Package{Package: p.MatchPackage(), PURL: p.PURL, Locations: p.Locations})
	}
	s.warnings = append(s.warnings, vulns.CoverageWarnings(pkgs, m.Covers)...)
	a, err := vulns.Assess(ctx, pkgs, vulns.Config{Source: db, OnlyFixed: s.flags.onlyFixed, Logger: s.log})
	if err != nil {
		return err
	}
	s.warnings = append(s.warnings, a.Warnings...)
	for _, u := range a.Upgrades {
		s.upgrades = append(s.upgrades, report.Upgrade{Ecosystem: u.Package.Ecosystem, Package: u.Package.Name,
			Version: u.Package.Version, To: u.To, Fixes: u.Fixes, Unfixed: u.Unfixed})
	}
	purls := map[[2]string]string{}
	for _, p := range pkgs {
		purls[[2]string{p.Name, p.Version}] = p.PURL
	}
	for _, f := range a.Findings {
		s.applyVEX(&f, purls[[2]string{f.Location.Package, f.Location.Version}], target)
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

// applyVEX suppresses f when a VEX statement says the package is not
// affected or the vulnerability fixed, and notes other statements.
func (s *vulnScan) applyVEX(f *pipeline.Finding, purl, target string) {
	if len(s.vex) == 0 {
		return
	}
	product := vex.Product{PURL: purl, Name: f.Location.Package, Version: f.Location.Version,
		Target: s.flags.vexProduct}
	if product.Target == "" {
		product.Target = target
	}
	ids := append([]string{f.RuleID}, f.Aliases...)
	st, ok := s.vex.Lookup(ids, product)
	if !ok {
		return
	}
	source := s.vexSource(ids, product, st)
	if !st.Status.Suppresses() {
		note := "VEX (" + source + "): " + string(st.Status)
		if st.ActionStatement != "" {
			note += "; action: " + st.ActionStatement
		}
		f.Description += "\n" + note
		return
	}
	reason := string(st.Status)
	if st.Justification != "" {
		reason += ": " + string(st.Justification)
	}
	if st.ImpactStatement != "" {
		reason += ": " + st.ImpactStatement
	}
	f.Suppressed = &pipeline.Suppression{By: "vex", Reason: reason, Source: source}
}

// vexSource names the VEX file whose statement decided, for reports.
func (s *vulnScan) vexSource(ids []string, p vex.Product, st vex.Statement) string {
	for i := len(s.vex) - 1; i >= 0; i-- {
		if got, ok := s.vex[i].Lookup(ids, p); ok && got.ID == st.ID && got.Status == st.Status &&
			got.Timestamp.Equal(st.Timestamp) && i < len(s.flags.vex) {
			return s.flags.vex[i]
		}
	}
	return strings.Join(s.flags.vex, ",")
}

// finish adds the upgrade plan and the scan's warnings to the report.
func (s *vulnScan) finish(r *report.Report) {
	r.Upgrades = s.upgrades
	warnings := slices.Clone(s.warnings)
	if s.flags.unknownSeverity == "warn" {
		var ids []string
		for _, f := range r.Findings {
			if !gate.Known(f.Severity) && f.Suppressed == nil {
				ids = append(ids, f.RuleID)
			}
		}
		if len(ids) > 0 {
			warnings = append(warnings, fmt.Sprintf("%d vulnerabilities have no severity rating and do not count against the gate (--unknown-severity warn): %s",
				len(ids), listIDs(ids)))
		}
	}
	r.Warnings = append(warnings, r.Warnings...)
}

// listIDs joins the first ids, saying how many more there are.
func listIDs(ids []string) string {
	if len(ids) <= maxListed {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(ids)-maxListed)
}
