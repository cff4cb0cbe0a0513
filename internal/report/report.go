// Package report renders the findings of one scan for people and machines:
// an aligned table for terminals, JSON for scripts and baselines, SARIF 2.1.0
// for code-scanning services and JUnit XML for CI test views. Every secpipe
// scanner shares these writers; docs/reports.md describes the formats.
//
// Writers print findings as they are: evidence is redacted by the scanner
// (see pipeline.Redact) before a Finding exists, so no writer ever sees, and
// none can print, a secret in full.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Tool names the program that produced a report.
type Tool struct {
	// Name is "secpipe".
	Name           string
	Version        string
	InformationURI string
}

// Report is everything a writer needs about one scan.
type Report struct {
	Tool Tool
	// Scanner names the scanner that ran, e.g. "secrets".
	Scanner string
	// Target is the scanned root (or image, or lockfile) as the user gave it.
	Target            string
	Started, Finished time.Time
	// Findings are in the order the gate saw them: Verdict.Blocking indexes
	// into this slice. Writers sort their own view and never reorder it.
	Findings []pipeline.Finding
	// Verdict is nil when no gate ran.
	Verdict *pipeline.Verdict
	// Warnings are things the user should act on that are not findings, e.g.
	// expired ignore entries or a stale vulnerability database.
	Warnings []string
	// Upgrades is a vulnerability scan's upgrade plan, one line per
	// vulnerable package; the table and json formats print it.
	Upgrades []Upgrade
}

// Upgrade says how to fix the vulnerabilities of one installed package.
type Upgrade struct {
	Ecosystem string `json:"ecosystem"`
	Package   string `json:"package"`
	// Version is the installed version.
	Version string `json:"version"`
	// To is the lowest version that fixes every finding of the package that
	// has a fix; empty when none has.
	To string `json:"to,omitempty"`
	// Fixes counts the findings upgrading to To fixes; Unfixed those no
	// version fixes yet.
	Fixes   int `json:"fixes"`
	Unfixed int `json:"unfixed"`
}

// Options tune rendering. The zero value suits files and pipes.
type Options struct {
	// Color turns on ANSI colours in the table format. The caller sets it
	// only when the output is a terminal; other formats ignore it.
	Color bool
}

// Writer renders a report in one format.
//
// Write validates r, renders it completely in memory and then writes it to w
// in one call, so a report that fails validation leaves w untouched. It
// returns an error wrapping pipeline.ErrInvalid for an inconsistent report
// (nil, a finding without a rule ID or fingerprint, a blocking index out of
// range) and the error from w otherwise. Writers hold no state: one Writer
// may serve many goroutines.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// The format names accepted by New.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatSARIF = "sarif"
	formatJUnit = "junit"
)

// Formats lists the format names New accepts, the default (table) first.
func Formats() []string {
	return []string{formatTable, formatJSON, formatSARIF, formatJUnit}
}

// New returns the Writer for a format name (case-insensitive). An unknown
// name gets an error wrapping pipeline.ErrInvalid that lists the valid ones.
func New(format string, opt Options) (Writer, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case formatTable:
		return tableWriter{color: opt.Color}, nil
	case formatJSON:
		return jsonWriter{}, nil
	case formatSARIF:
		return sarifWriter{}, nil
	case formatJUnit:
		return junitWriter{}, nil
	}
	return nil, fmt.Errorf("%w report format %q (want one of %s)",
		pipeline.ErrInvalid, format, strings.Join(Formats(), ", "))
}

// Suppression.By values the writers tell apart.
const (
	byInline   = "inline"
	byBaseline = "baseline"
	byVEX      = "vex"
)

// entry is one finding as the writers see it, with the gate's decision.
type entry struct {
	f        *pipeline.Finding
	blocking bool
}

// entries validates r and returns its findings most severe first, then by
// location, so that every format lists them in the same stable order.
func entries(r *Report) ([]entry, error) {
	if r == nil {
		return nil, fmt.Errorf("%w report: nil", pipeline.ErrInvalid)
	}
	blocking := make([]bool, len(r.Findings))
	if r.Verdict != nil {
		for _, b := range r.Verdict.Blocking {
			if b < 0 || b >= len(r.Findings) {
				return nil, fmt.Errorf("%w report verdict: blocking index %d out of range (%d findings)",
					pipeline.ErrInvalid, b, len(r.Findings))
			}
			blocking[b] = true
		}
	}
	es := make([]entry, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		field := ""
		switch {
		case strings.TrimSpace(f.RuleID) == "":
			field = "rule_id"
		case f.Fingerprint == "":
			field = "fingerprint" // baselines match on it
		}
		if field != "" {
			return nil, fmt.Errorf("%w report finding %d (%q at %q): empty %s",
				pipeline.ErrInvalid, i, f.Title, f.Location.String(), field)
		}
		es[i] = entry{f: f, blocking: blocking[i]}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return compareFindings(a.f, b.f) })
	return es, nil
}

// compareFindings orders by severity (highest first), then location, then
// rule, with the fingerprint as the last tie-breaker.
func compareFindings(a, b *pipeline.Finding) int {
	la, lb := a.Location, b.Location
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(la.Path, lb.Path),
		cmp.Compare(la.Line, lb.Line),
		cmp.Compare(la.Column, lb.Column),
		cmp.Compare(la.Package, lb.Package),
		cmp.Compare(la.Version, lb.Version),
		cmp.Compare(la.Event, lb.Event),
		cmp.Compare(la.Commit, lb.Commit),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// status is the one-word state of a finding people read in the table.
func (e entry) status(gated bool) string {
	f := e.f
	switch {
	case e.blocking && f.Expired != nil:
		return "BLOCKING (ignore expired)"
	case e.blocking:
		return "BLOCKING"
	case f.Suppressed != nil && f.Suppressed.By == byBaseline:
		return "baseline"
	case f.Suppressed != nil && f.Suppressed.By == byVEX:
		return "vex: " + suppressionReason(f.Suppressed)
	case f.Suppressed != nil:
		return "ignored: " + suppressionReason(f.Suppressed)
	case f.Expired != nil:
		return "ignore expired"
	case gated:
		return "ok"
	default:
		return "-"
	}
}

// suppressionReason says why a finding is let through, falling back to
// where the rule lives when it gives no reason.
func suppressionReason(s *pipeline.Suppression) string {
	return cmp.Or(s.Reason, s.Source, s.By)
}

// shortCommit abbreviates a commit hash the way git log --oneline does.
func shortCommit(c string) string {
	const n = 7
	if len(c) > n {
		return c[:n]
	}
	return c
}

// locationText renders where a finding is for people: "path:line",
// "package@version" or the event, plus the package for lockfile findings
// and the short commit for findings from git history.
func locationText(l pipeline.Location) string {
	s := l.String()
	if l.Path != "" && l.Package != "" {
		s += " " + pipeline.Location{Package: l.Package, Version: l.Version}.String()
	}
	if s == "" {
		s = "-"
	}
	if l.Commit != "" {
		s += " (commit " + shortCommit(l.Commit) + ")"
	}
	return s
}

// counts tallies what the summaries print.
type counts struct {
	// bySeverity is indexed by pipeline.Severity.
	bySeverity                     [pipeline.SeverityCritical + 1]int
	suppressed, baselined, expired int
}

// tally counts findings by severity; suppression counts come from the
// verdict when a gate ran (it is the authority) and from the findings otherwise.
func tally(r *Report) counts {
	var c counts
	for i := range r.Findings {
		f := &r.Findings[i]
		if s := f.Severity; s >= pipeline.SeverityUnknown && s <= pipeline.SeverityCritical {
			c.bySeverity[s]++
		} else {
			c.bySeverity[pipeline.SeverityUnknown]++
		}
		switch {
		case f.Suppressed != nil && f.Suppressed.By == byBaseline:
			c.baselined++
		case f.Suppressed != nil:
			c.suppressed++
		}
		if f.Expired != nil {
			c.expired++
		}
	}
	if v := r.Verdict; v != nil {
		c.suppressed, c.baselined, c.expired = v.Suppressed, v.Baselined, v.Expired
	}
	return c
}

// plural returns "1 finding" or "2 findings".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
