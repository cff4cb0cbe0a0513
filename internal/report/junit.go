package report

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// junitWriter renders the report as JUnit XML, which CI systems show as a
// test report: one test suite per scanner and one test case per finding,
// failing for blocking findings and skipped for suppressed ones.
type junitWriter struct{}

var _ Writer = junitWriter{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr,omitempty"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemErr  *junitText      `xml:"system-err,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Details string `xml:",cdata"`
}

// junitText is text kept as written (newlines included) in a CDATA section.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func (junitWriter) Write(w io.Writer, r *Report) error {
	es, err := entries(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(newJUnit(r, es)); err != nil {
		return fmt.Errorf("encode junit report: %w", err)
	}
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

func newJUnit(r *Report, es []entry) junitSuites {
	tool := cmp.Or(r.Tool.Name, "secpipe")
	suite := junitSuite{
		Name:       strings.TrimSpace(tool + " " + r.Scanner),
		Properties: junitProperties(r),
		Cases:      make([]junitCase, 0, max(len(es), 1)),
	}
	if d := r.Finished.Sub(r.Started); !r.Started.IsZero() && d >= 0 {
		suite.Time = fmt.Sprintf("%.3f", d.Seconds())
	}
	if !r.Started.IsZero() {
		// The JUnit schema wants an ISO 8601 time without a zone.
		suite.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, e := range es {
		c := junitCaseOf(e)
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Skipped != nil:
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	if len(es) == 0 {
		// One passing case, so that CI shows the check ran.
		suite.Cases = append(suite.Cases, junitCase{Classname: cmp.Or(r.Scanner, tool), Name: "no findings"})
	}
	suite.Tests = len(suite.Cases)
	if len(r.Warnings) > 0 {
		suite.SystemErr = &junitText{Text: xmlText("warning: " + strings.Join(r.Warnings, "\nwarning: ") + "\n")}
	}
	return junitSuites{
		Name: tool, Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Time: suite.Time, Suites: []junitSuite{suite},
	}
}

// junitProperties records what ran on what and the gate's decision.
func junitProperties(r *Report) []junitProperty {
	props := []junitProperty{{Name: "target", Value: r.Target}}
	if r.Tool.Version != "" {
		props = append(props, junitProperty{Name: "version", Value: r.Tool.Version})
	}
	if v := r.Verdict; v != nil {
		gate := "passed"
		if !v.Passed {
			gate = "failed"
		}
		props = append(props,
			junitProperty{Name: "gate", Value: gate},
			junitProperty{Name: "fail_on", Value: v.FailOn.String()})
	}
	return props
}

// junitCaseOf turns one finding into a test case: a failure when it
// blocks the gate, skipped when suppressed, passing otherwise (with its
// details as output, so the finding is still visible).
func junitCaseOf(e entry) junitCase {
	f := e.f
	c := junitCase{Classname: f.RuleID, Name: locationText(f.Location)}
	details := junitDetails(f)
	switch {
	case e.blocking:
		c.Failure = &junitFailure{Message: cmp.Or(f.Title, f.RuleID), Type: f.Severity.String(), Details: details}
	case f.Suppressed != nil && f.Suppressed.By == byBaseline:
		c.Skipped = &junitSkipped{Message: "baseline: " + justification(f.Suppressed)}
	case f.Suppressed != nil:
		c.Skipped = &junitSkipped{Message: "ignored: " + justification(f.Suppressed)}
	default:
		c.SystemOut = &junitText{Text: details}
	}
	return c
}

// junitDetails describes a finding in a few "key: value" lines.
func junitDetails(f *pipeline.Finding) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	l := f.Location
	line("title", f.Title)
	line("rule", f.RuleID)
	line("kind", string(f.Kind))
	line("severity", f.Severity.String())
	if f.CVSS > 0 {
		line("cvss", fmt.Sprintf("%.1f", f.CVSS))
	}
	line("location", locationText(l))
	line("commit", l.Commit)
	line("author", l.Author)
	if !l.Date.IsZero() {
		line("date", l.Date.Format(time.RFC3339))
	}
	line("evidence", f.Evidence)
	line("group", f.Group)
	line("description", f.Description)
	line("remediation", f.Remediation)
	line("references", strings.Join(f.References, " "))
	if x := f.Expired; x != nil {
		exp := cmp.Or(x.Source, x.Reason, x.By)
		if !x.Expires.IsZero() {
			exp += " (expired " + x.Expires.Format(time.DateOnly) + ")"
		}
		line("ignore expired", exp)
	}
	line("fingerprint", f.Fingerprint)
	return xmlText(b.String())
}

// xmlText replaces what XML 1.0 cannot hold (invalid UTF-8, control
// characters other than tab and newlines) with U+FFFD. Text written as
// CDATA needs it: encoding/xml escapes attributes and character data, but
// writes CDATA as it is.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}
