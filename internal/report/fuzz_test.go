package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// FuzzWriters feeds findings with arbitrary text (as scanned files can
// hold) to every writer and checks the output is well formed: JSON and
// SARIF parse, SARIF URIs stay relative, JUnit parses, and the plain table
// carries no control characters that could drive a terminal.
func FuzzWriters(f *testing.F) {
	f.Add("aws-access-key-id", "app/src/config.js", 3, "AKIA*****", "AWS key", "g1")
	f.Add("r", "c:x/y z.txt", 0, "\x1b[2J", "<&>\"'", "")
	f.Add("CVE-1", "a\xffb/\u202e.js", -4, "\x00\t\n", "\u0085", "g")
	f.Add(" ", "", 1, "", "", "")
	f.Add("r", "p", 1, "e", "\x00\x1b\xfe", "g")
	f.Fuzz(func(t *testing.T, rule, path string, line int, evidence, title, group string) {
		r := fixtureReport(t)
		r.Findings = append(r.Findings, pipeline.Finding{
			Kind: pipeline.KindSecret, RuleID: rule, Severity: pipeline.SeverityHigh, Title: title,
			Location: pipeline.Location{Path: path, Line: line, Package: title}, Evidence: evidence,
			Group: group, Fingerprint: pipeline.Fingerprint(rule, path),
		})
		r.Warnings = append(r.Warnings, title)
		for _, format := range Formats() {
			w, err := New(format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			err = w.Write(&buf, r)
			if strings.TrimSpace(rule) == "" {
				if !errors.Is(err, pipeline.ErrInvalid) {
					t.Fatalf("%s: Write(finding without rule) = %v, want ErrInvalid", format, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: Write = %v", format, err)
			}
			checkWellFormed(t, format, buf.Bytes())
		}
	})
}

func checkWellFormed(t *testing.T, format string, out []byte) {
	switch format {
	case formatTable:
		for _, b := range out {
			if b < 0x20 && b != '\n' || b == 0x7f {
				t.Fatalf("table output holds control byte %#x:\n%q", b, out)
			}
		}
	case formatJSON:
		var doc jsonReport
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("json output does not parse: %v", err)
		}
	case formatSARIF:
		var doc sarifLog
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("sarif output does not parse: %v", err)
		}
		for _, res := range doc.Runs[0].Results {
			for _, l := range res.Locations {
				if l.PhysicalLocation == nil {
					continue
				}
				u, err := url.Parse(l.PhysicalLocation.ArtifactLocation.URI)
				if err != nil || u.Scheme != "" || u.Host != "" {
					t.Fatalf("sarif uri %q is not a relative reference (%v)", l.PhysicalLocation.ArtifactLocation.URI, err)
				}
				if r := l.PhysicalLocation.Region; r != nil && r.StartLine < 1 {
					t.Fatalf("sarif region starts at line %d", r.StartLine)
				}
			}
		}
	case formatJUnit:
		var doc parsedSuites
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("junit output does not parse: %v\n%s", err, out)
		}
	}
}
