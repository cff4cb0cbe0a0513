// Package scan is the scan action provider: it runs secpipe's scanners
// (secrets, config, vulns) over an input artifact, applies the gate and
// reports the findings with the action.
//
// Action configuration (secpipe.yml):
//
//	scanners: [secrets, config, vulns]  # required; run in this order
//	fail_on: high                       # a severity, or none to only report
//	target: SourceArtifact/app          # an input artifact, or a path inside one
//	unknown_severity: fail              # fail (blocks), warn or ignore
//	ignore_file: .secpipeignore         # inside the artifact; this is the default
//	db: /var/cache/secpipe/vulndb       # vulnerability database (default: vulndb.DefaultDir)
//	advisories: SourceArtifact/advisories  # or: OSV records in an input artifact, judged by instead of db
//
// A target written "oci:ARTIFACT/PATH[:TAG]" names an OCI image layout
// inside an input artifact: its image is unpacked into the attempt's work
// directory and scanned there, and the report names it with its digest
// ("oci:LaunchArtifact/image@sha256:…"), which the image provider's
// publish checks. config.advisories compiles the records into a database
// for this scan alone, so that a repository pins what it is judged by.
//
// The action fails when the gate does ("gate failed: 2 blocking findings at
// or above high"). The JSON report goes to scan-report.json in the first
// output artifact, when the action has one, with, when the vulns scanner
// ran, the CycloneDX SBOM of the scanned tree (sbom.cdx.json), and a table
// to the action log. Output variables: Findings, Blocking, Verdict, and
// ImageDigest for an image target.
package scan

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/sbom"
	"github.com/secpipe/secpipe/internal/scan/vulns/vulndb"
)

// ReportFile is the name of the JSON report in the first output artifact.
const ReportFile = "scan-report.json"

// Config sets up the provider. The explicit lists of checks and extractors
// are built by the command line and passed in as functions, so that each
// run gets fresh values.
type Config struct {
	// ConfigChecks returns the configuration checks; nil makes the config
	// scanner unavailable (an action asking for it fails).
	ConfigChecks func() []config.Check
	// Extractors returns the package extractors of the vulns scanner; nil
	// makes it unavailable.
	Extractors func() []sbom.Extractor
	// DBDir is the vulnerability database of actions whose config has no
	// db; empty means vulndb.DefaultDir().
	DBDir string
	// Version is secpipe's version, for the report.
	Version string
	// Logger receives the provider's own diagnostics; nil discards them.
	// What the scanners say goes to each action's log.
	Logger *slog.Logger
	// Now is the clock (ignore-file expiry, report times); nil means
	// time.Now.
	Now func() time.Time
}

// Provider runs scan actions. It is safe for concurrent use: parallel
// actions each get their own scanners.
type Provider struct {
	cfg Config
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns a scan provider.
func New(cfg Config) *Provider {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Provider{cfg: cfg}
}

// Name returns "scan".
func (p *Provider) Name() string { return "scan" }

// Run scans the action's target and applies the gate. A bad configuration,
// a missing target or database, or a scanner that cannot run is an error
// (wrapping pipeline.ErrInvalid or pipeline.ErrNotFound where it applies);
// a failed gate is an ActionFailed result with the findings and verdict.
// Run returns ctx.Err() when cancelled.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	started := p.cfg.Now()
	if req.Log == nil {
		r := *req
		r.Log = io.Discard
		req = &r
	}
	s, err := parseSettings(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	t, err := resolveTarget(req, s.Target)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	policy, err := s.policy(t, started)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	var digest string
	if t.Image != "" {
		dir, d, err := unpackImage(ctx, req, t)
		if err != nil {
			return pipeline.ActionResult{}, err
		}
		defer os.RemoveAll(dir)
		t.Dir, t.Name, digest = filepath.Join(dir, "rootfs"), t.Name+"@"+d, d
	}
	outs, err := p.scan(ctx, req, s, t.Dir)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	rep := &report.Report{
		Tool:    report.Tool{Name: "secpipe", Version: p.cfg.Version, InformationURI: "https://github.com/secpipe/secpipe"},
		Scanner: strings.Join(s.Scanners, ","),
		Target:  t.Name,
		Started: started,
	}
	for _, o := range outs {
		rep.Findings = append(rep.Findings, o.findings...)
		rep.Warnings = append(rep.Warnings, o.warnings...)
		rep.Upgrades = append(rep.Upgrades, o.upgrades...)
	}
	sortFindings(rep.Findings)
	verdict := gate.Evaluate(policy, rep.Findings)
	rep.Verdict, rep.Finished = &verdict, p.cfg.Now()
	rep.Warnings = append(rep.Warnings, gateWarnings(policy, s, rep.Findings, outs, started)...)
	if err := p.writeReports(req, rep, outs); err != nil {
		return pipeline.ActionResult{}, err
	}
	res := result(s, rep, verdict)
	if digest != "" {
		res.OutputVariables["ImageDigest"] = digest
	}
	p.cfg.Logger.Debug("scan done", "execution", req.ExecutionID, "action", req.Action.Name, "target", t.Name,
		"findings", len(rep.Findings), "blocking", len(verdict.Blocking))
	return res, nil
}

// scan runs each scanner of s over dir, in order.
func (p *Provider) scan(ctx context.Context, req *pipeline.ActionRequest, s settings, dir string) ([]output, error) {
	log := slog.New(slog.NewTextHandler(req.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var (
		outs     []output
		db       string
		dbWarned []string
	)
	if slices.Contains(s.Scanners, scannerVulns) && p.cfg.Extractors != nil {
		var err error
		if s.Advisories != "" {
			if db, dbWarned, err = advisoryDB(ctx, req, s); err != nil {
				return nil, err
			}
			defer os.RemoveAll(db)
		} else if db, err = p.dbDir(req, s); err != nil {
			return nil, err
		}
	}
	for _, name := range s.Scanners {
		var (
			out output
			err error
		)
		switch name {
		case scannerSecrets:
			out, err = runSecrets(ctx, dir, log)
		case scannerConfig:
			if p.cfg.ConfigChecks == nil {
				return nil, fmt.Errorf("%w config.scanners: the config scanner is not available here", pipeline.ErrInvalid)
			}
			out, err = runConfig(ctx, dir, p.cfg.ConfigChecks(), log)
		case scannerVulns:
			if p.cfg.Extractors == nil {
				return nil, fmt.Errorf("%w config.scanners: the vulns scanner is not available here", pipeline.ErrInvalid)
			}
			out, err = runVulns(ctx, dir, db, p.cfg.Extractors(), p.cfg.Now(), log)
			out.warnings = append(dbWarned, out.warnings...)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// dbDir is the vulnerability database: config.db (relative to the
// repository), else Config.DBDir, else the default.
func (p *Provider) dbDir(req *pipeline.ActionRequest, s settings) (string, error) {
	switch {
	case s.DB != "" && !filepath.IsAbs(s.DB) && req.RepoDir != "":
		return filepath.Join(req.RepoDir, s.DB), nil
	case s.DB != "":
		return s.DB, nil
	case p.cfg.DBDir != "":
		return p.cfg.DBDir, nil
	}
	dir, err := vulndb.DefaultDir()
	if err != nil {
		return "", fmt.Errorf("scan vulns: %w (set config.db or SECPIPE_DB_DIR)", err)
	}
	return dir, nil
}

// writeReports logs the table and writes the JSON report, and the SBOM of
// the vulns scanner's inventory, into the first output artifact, when
// there is one.
func (p *Provider) writeReports(req *pipeline.ActionRequest, rep *report.Report, outs []output) error {
	table, err := report.New("table", report.Options{})
	if err != nil {
		return err
	}
	if err := table.Write(req.Log, rep); err != nil {
		return fmt.Errorf("scan: log report: %w", err)
	}
	if len(req.Action.Outputs) == 0 {
		return nil
	}
	dir, ok := req.Outputs[req.Action.Outputs[0]]
	if !ok {
		return fmt.Errorf("scan: output artifact %s: %w", req.Action.Outputs[0], pipeline.ErrNotFound)
	}
	js, err := report.New("json", report.Options{})
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, ReportFile), func(w io.Writer) error { return js.Write(w, rep) }); err != nil {
		return fmt.Errorf("scan: write report: %w", err)
	}
	for _, o := range outs {
		if o.inventory == nil {
			continue
		}
		meta := sbom.Meta{Target: rep.Target, ToolVersion: p.cfg.Version, Now: rep.Finished}
		err := writeFile(filepath.Join(dir, SBOMFile), func(w io.Writer) error { return sbom.WriteCycloneDX(w, o.inventory, meta) })
		if err != nil {
			return fmt.Errorf("scan: write sbom: %w", err)
		}
	}
	return nil
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// result turns the verdict into the action's result.
func result(s settings, rep *report.Report, v pipeline.Verdict) pipeline.ActionResult {
	r := pipeline.ActionResult{
		State:    pipeline.ActionSucceeded,
		Findings: rep.Findings,
		Verdict:  &v,
		Warnings: rep.Warnings,
		OutputVariables: map[string]string{
			"Findings": strconv.Itoa(len(rep.Findings)),
			"Blocking": strconv.Itoa(len(v.Blocking)),
			"Verdict":  "passed",
		},
	}
	switch {
	case s.Off:
		r.Message = fmt.Sprintf("%s; gate off (fail_on none)", plural(len(rep.Findings), "finding"))
	case v.Passed:
		r.Message = fmt.Sprintf("gate passed: %s, none blocking at or above %s", plural(len(rep.Findings), "finding"), v.FailOn)
	default:
		r.State, r.OutputVariables["Verdict"] = pipeline.ActionFailed, "failed"
		r.Message = fmt.Sprintf("gate failed: %s at or above %s", plural(len(v.Blocking), "blocking finding"), v.FailOn)
	}
	return r
}

// sortFindings orders findings by kind, location and rule, so reports
// are stable.
func sortFindings(fs []pipeline.Finding) {
	slices.SortStableFunc(fs, func(a, b pipeline.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.Location.Column, b.Location.Column),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Location.Package, b.Location.Package),
			cmp.Compare(a.Location.Version, b.Location.Version),
		)
	})
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
