package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// tableWriter renders findings as an aligned table followed by a summary,
// for people reading a terminal or a CI log.
type tableWriter struct {
	color bool
}

var _ Writer = tableWriter{}

// ANSI SGR sequences. Every code that wraps a cell of an aligned column has
// the same length, so tabwriter (which counts the escape bytes as width)
// pads every cell of the column by the same amount and the visible text
// stays aligned.
const (
	ansiReset   = "\x1b[0m"
	ansiHeader  = "\x1b[1;39m" // bold, default colour
	ansiBoldRed = "\x1b[1;31m"
	ansiRed     = "\x1b[0;31m"
	ansiYellow  = "\x1b[0;33m"
	ansiCyan    = "\x1b[0;36m"
	ansiBlue    = "\x1b[0;34m"
	ansiGreen   = "\x1b[0;32m"
	ansiGrey    = "\x1b[0;37m"
)

// maxEvidence caps the EVIDENCE column; the JSON report has it in full.
const maxEvidence = 64

func (t tableWriter) Write(w io.Writer, r *Report) error {
	es, err := entries(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if len(es) == 0 {
		buf.WriteString("no findings\n")
	} else {
		t.findings(&buf, es, r.Verdict != nil)
	}
	upgrades(&buf, r.Upgrades)
	t.summary(&buf, r)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

// evidenceText is what the EVIDENCE column shows: the redacted evidence
// when the scanner gives one (secrets), else the first line of the
// description (what a configuration check found), else "-".
func evidenceText(f *pipeline.Finding) string {
	if f.Evidence != "" {
		return f.Evidence
	}
	if line, _, _ := strings.Cut(f.Description, "\n"); strings.TrimSpace(line) != "" {
		return strings.TrimSpace(line)
	}
	return "-"
}

// findings writes the table and, below it, the legend of grouped findings.
func (t tableWriter) findings(buf *bytes.Buffer, es []entry, gated bool) {
	labels, sizes := groupLabels(es)
	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tRULE\tLOCATION\tEVIDENCE\tSTATUS\n", t.paint(ansiHeader, "SEVERITY"))
	for _, e := range es {
		f := e.f
		rule := clean(f.RuleID)
		if l := labels[f.Group]; l != "" {
			rule += " [" + l + "]"
		}
		evidence := truncate(clean(evidenceText(f)), maxEvidence)
		status := clean(e.status(gated))
		if e.blocking {
			status = t.paint(ansiBoldRed, status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.paint(severityColor(f.Severity), f.Severity.String()),
			rule, clean(locationText(f.Location)), evidence, status)
	}
	tw.Flush()
	if len(sizes) == 0 {
		return
	}
	buf.WriteByte('\n')
	for i, n := range sizes {
		fmt.Fprintf(buf, "[G%d] %d findings are parts of one credential\n", i+1, n)
	}
}

// upgrades writes the upgrade plan: per package, the version to move to
// and how many of its findings that fixes.
func upgrades(buf *bytes.Buffer, us []Upgrade) {
	if len(us) == 0 {
		return
	}
	buf.WriteString("\nupgrade plan:\n")
	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tINSTALLED\tUPGRADE TO\tFIXES")
	for _, u := range us {
		to := cleanOr(u.To, "no fixed version yet")
		fixes := fmt.Sprintf("%d of %d", u.Fixes, u.Fixes+u.Unfixed)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", clean(u.Package), clean(u.Version), to, fixes)
	}
	tw.Flush()
}

// groupLabels names each group that has two or more findings ("G1", "G2",
// in table order) and returns the labels by group and the group sizes.
func groupLabels(es []entry) (map[string]string, []int) {
	size := map[string]int{}
	for _, e := range es {
		if e.f.Group != "" {
			size[e.f.Group]++
		}
	}
	labels := map[string]string{}
	var sizes []int
	for _, e := range es {
		g := e.f.Group
		if size[g] < 2 || labels[g] != "" {
			continue
		}
		sizes = append(sizes, size[g])
		labels[g] = fmt.Sprintf("G%d", len(sizes))
	}
	return labels, sizes
}

// summary writes the counts, the gate's result, the warnings and what ran.
func (t tableWriter) summary(buf *bytes.Buffer, r *Report) {
	c := tally(r)
	if len(r.Findings) > 0 {
		buf.WriteByte('\n')
		printCounts(buf, r, c)
	}
	if c.suppressed+c.baselined+c.expired > 0 {
		fmt.Fprintf(buf, "suppressed: %d, baselined: %d, ignore expired: %d\n", c.suppressed, c.baselined, c.expired)
	}
	fmt.Fprintln(buf, "gate:", t.gate(r.Verdict))
	for _, w := range r.Warnings {
		fmt.Fprintln(buf, t.paint(ansiYellow, "warning:"), clean(w))
	}
	fmt.Fprintln(buf, ranLine(r))
}

// printCounts writes "8 findings: 2 critical, 3 high, ...".
func printCounts(buf *bytes.Buffer, r *Report, c counts) {
	var parts []string
	for s := pipeline.SeverityCritical; s >= pipeline.SeverityUnknown; s-- {
		if n := c.bySeverity[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	line := plural(len(r.Findings), "finding")
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	fmt.Fprintln(buf, line)
}

// gate renders the verdict: "PASSED (fail-on high)" or
// "FAILED (fail-on high: 2 blocking findings)".
func (t tableWriter) gate(v *pipeline.Verdict) string {
	switch {
	case v == nil:
		return "not run"
	case v.Passed:
		return t.paint(ansiGreen, "PASSED") + fmt.Sprintf(" (fail-on %s)", v.FailOn)
	default:
		return t.paint(ansiBoldRed, "FAILED") +
			fmt.Sprintf(" (fail-on %s: %s)", v.FailOn, plural(len(v.Blocking), "blocking finding"))
	}
}

// ranLine says what ran on what, and for how long.
func ranLine(r *Report) string {
	s := "scanned " + cleanOr(r.Target, "-")
	if r.Scanner != "" {
		s += " with " + clean(r.Scanner)
	}
	if r.Tool.Name != "" {
		s += " (" + strings.TrimSpace(clean(r.Tool.Name)+" "+clean(r.Tool.Version)) + ")"
	}
	if !r.Started.IsZero() && !r.Finished.Before(r.Started) {
		s += " in " + r.Finished.Sub(r.Started).Round(time.Millisecond).String()
	}
	return s
}

// paint wraps s in an ANSI colour when colour is on.
func (t tableWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

// severityColor picks the colour of a severity; every code has the same length.
func severityColor(s pipeline.Severity) string {
	switch s {
	case pipeline.SeverityCritical:
		return ansiBoldRed
	case pipeline.SeverityHigh:
		return ansiRed
	case pipeline.SeverityMedium:
		return ansiYellow
	case pipeline.SeverityLow:
		return ansiCyan
	case pipeline.SeverityInfo:
		return ansiBlue
	default:
		return ansiGrey
	}
}

// clean makes text from scanned files safe to print on a terminal and
// keeps the table aligned: control characters (including escape sequences
// that could repaint the terminal), bidirectional overrides and invalid
// UTF-8 are shown as Go-style escapes.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x100 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// cleanOr cleans s, or returns def when s is empty.
func cleanOr(s, def string) string {
	if s == "" {
		return def
	}
	return clean(s)
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
