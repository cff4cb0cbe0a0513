package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/secpipe/secpipe/internal/atomicfile"
	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
)

// ignoreFileName is the ignore file looked for at the root of a scanned tree.
const ignoreFileName = ".secpipeignore"

func newScanCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Run a security scanner and gate on its findings",
		Long: `Run a security scanner over a target and gate on its findings.

Every scan command shares the report flags (--format, --output) and the gate
flags (--fail-on, --ignore-file, --baseline). Exit codes: 0 the gate passed,
1 the gate failed, 2 bad usage or a runtime error.`,
	}
	cmd.AddCommand(newScanSecretsCmd(e), newScanConfigCmd(e), newScanVulnsCmd(e), newScanThreatCmd(e))
	return cmd
}

// gateFlags are the report and gate flags every scan command takes.
type gateFlags struct {
	format     string
	output     string
	failOn     string
	unknownAs  string
	ignoreFile string
	noIgnore   bool
	baseline   string
	noColor    bool
}

func (g *gateFlags) register(cmd *cobra.Command, defaultFailOn string) {
	f := cmd.Flags()
	f.StringVarP(&g.format, "format", "f", "table", "report format: "+strings.Join(report.Formats(), ", "))
	f.StringVarP(&g.output, "output", "o", "", "write the report to `FILE` instead of standard output")
	f.StringVar(&g.failOn, "fail-on", defaultFailOn, "fail when a finding is at or above `SEVERITY` (critical, high, medium, low, info, unknown; none to only report)")
	f.StringVar(&g.unknownAs, "unknown-as", "high", "rank findings of unknown severity as `SEVERITY` for --fail-on")
	f.StringVar(&g.ignoreFile, "ignore-file", "", "ignore file to apply (default: "+ignoreFileName+" at the scanned root, if present)")
	f.BoolVar(&g.noIgnore, "no-ignore-file", false, "do not apply any ignore file")
	f.StringVar(&g.baseline, "baseline", "", "previous json or sarif `REPORT`: only findings not in it fail the gate")
	f.BoolVar(&g.noColor, "no-color", false, "never colour the table (colour is used only on a terminal)")
}

// policy builds the gate policy from the flags. root is the scanned root,
// where the default ignore file is looked for.
func (g *gateFlags) policy(root string, now time.Time) (gate.Policy, error) {
	p := gate.Policy{Now: now}
	if strings.EqualFold(g.failOn, "none") {
		p.Off = true
	} else {
		sev, err := pipeline.ParseSeverity(g.failOn)
		if err != nil {
			return p, usageError{fmt.Errorf("--fail-on: %w", err)}
		}
		p.FailOn = sev
	}
	sev, err := pipeline.ParseSeverity(g.unknownAs)
	if err != nil {
		return p, usageError{fmt.Errorf("--unknown-as: %w", err)}
	}
	p.UnknownAs = sev
	if path := g.ignorePath(root); path != "" {
		ig, err := gate.LoadIgnoreFile(path)
		if err != nil {
			return p, err
		}
		p.Ignore = ig
	}
	if g.baseline != "" {
		b, err := gate.LoadBaseline(g.baseline)
		if err != nil {
			return p, err
		}
		p.Baseline = b
	}
	return p, nil
}

// ignorePath returns the ignore file to load, or "" for none.
func (g *gateFlags) ignorePath(root string) string {
	if g.noIgnore {
		return ""
	}
	if g.ignoreFile != "" {
		return g.ignoreFile
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return ""
	}
	path := filepath.Join(root, ignoreFileName)
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// scanJob is one scan as the user asked for it.
type scanJob struct {
	scanner pipeline.Scanner
	target  string // as the user gave it, for the report
	root    string // where the ignore file is looked for
	flags   *gateFlags
	// rules holds the rule IDs this scanner can report, so that only ignore
	// entries naming one of them are warned about when they match nothing
	// (one ignore file serves every scanner).
	rules map[string]bool
	// owns, when set, also claims ignore entries for the stale-entry
	// warning (a vulnerability scan owns entries naming packages or
	// advisory ids, whose set is open).
	owns func(gate.Entry) bool
	// adjust, when set, changes the policy the flags built (scanner-specific
	// gate flags such as --unknown-severity).
	adjust func(*gate.Policy)
	// finish, when set, adds what only this scanner knows to the report
	// (warnings, an upgrade plan) once the gate has run.
	finish func(*report.Report)
}

// runScan runs the scanner, applies the gate, writes the report and returns
// errGateFailed when the gate fails.
func runScan(ctx context.Context, e *env, job scanJob) error {
	writer, err := report.New(job.flags.format, report.Options{Color: e.colour(job.flags)})
	if err != nil {
		return usageError{fmt.Errorf("--format: %w", err)}
	}
	started := time.Now()
	policy, err := job.flags.policy(job.root, started)
	if err != nil {
		return err
	}
	if job.adjust != nil {
		job.adjust(&policy)
	}
	var findings []pipeline.Finding
	err = job.scanner.Scan(ctx, job.target, func(f pipeline.Finding) error {
		findings = append(findings, f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("scan %s: %w", job.scanner.Name(), err)
	}
	sortFindings(findings)
	verdict := gate.Evaluate(policy, findings)
	rep := &report.Report{
		Tool:     report.Tool{Name: "secpipe", Version: Version, InformationURI: "https://github.com/secpipe/secpipe"},
		Scanner:  job.scanner.Name(),
		Target:   job.target,
		Started:  started,
		Finished: time.Now(),
		Findings: findings,
		Verdict:  &verdict,
		Warnings: ignoreWarnings(policy, findings, job.owner(), started),
	}
	if job.finish != nil {
		job.finish(rep)
	}
	if err := writeReport(e, job.flags, writer, rep); err != nil {
		return err
	}
	if !verdict.Passed {
		return errGateFailed
	}
	return nil
}

// owner says which ignore entries belong to this scan.
func (job scanJob) owner() func(gate.Entry) bool {
	return func(en gate.Entry) bool {
		return job.rules[en.Rule] || (job.owns != nil && job.owns(en))
	}
}

// ignoreWarnings lists expired ignore entries, so people renew or drop
// them, and entries naming one of this scanner's rules that matched nothing
// in this scan, so stale ones go.
func ignoreWarnings(p gate.Policy, findings []pipeline.Finding, owns func(gate.Entry) bool, now time.Time) []string {
	if p.Ignore == nil {
		return nil
	}
	var out []string
	for _, en := range p.Ignore.Expired(now) {
		out = append(out, fmt.Sprintf("ignore entry %s expired on %s and no longer suppresses (reason was: %s)",
			en.Source, en.Expires.Format(time.DateOnly), en.Reason))
	}
	for _, en := range p.Ignore.Unused(findings) {
		if en.ExpiredAt(now) || !owns(en) {
			continue
		}
		out = append(out, fmt.Sprintf("ignore entry %s matched no finding; remove it if the problem is gone", en.Source))
	}
	return out
}

// writeReport writes rep to --output (atomically) or standard output. With
// --output, a one-line summary still goes to standard error.
func writeReport(e *env, g *gateFlags, w report.Writer, rep *report.Report) error {
	if g.output == "" {
		return w.Write(e.stdout, rep)
	}
	if err := atomicfile.Write(g.output, 0o644, func(f io.Writer) error { return w.Write(f, rep) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d findings, gate %s; report written to %s\n",
		rep.Scanner, len(rep.Findings), passWord(rep.Verdict), g.output)
	return nil
}

func passWord(v *pipeline.Verdict) string {
	if v == nil || v.Passed {
		return "passed"
	}
	return "failed"
}

// colour reports whether the table may use colour: only on a terminal,
// never with --no-color, --output or NO_COLOR.
func (e *env) colour(g *gateFlags) bool {
	if g.noColor || g.output != "" || e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb" {
		return false
	}
	f, ok := e.stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// sortFindings orders findings by location, then rule, so reports are stable.
func sortFindings(fs []pipeline.Finding) {
	slices.SortStableFunc(fs, func(a, b pipeline.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.Location.Column, b.Location.Column),
			cmp.Compare(a.Location.Commit, b.Location.Commit),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Location.Package, b.Location.Package),
		)
	})
}

// localRoot is where a target's .secpipeignore is looked for: the target
// itself when it is a local path, nothing for an image reference.
func localRoot(target string) string {
	if strings.HasPrefix(target, "oci:") {
		return ""
	}
	return target
}

// checkTarget turns a missing target into a message naming it.
func checkTarget(path string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("target %s: %w", path, pipeline.ErrNotFound)
		}
		return fmt.Errorf("target %s: %w", path, err)
	}
	return nil
}
