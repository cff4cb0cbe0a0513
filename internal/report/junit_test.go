package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// parsedSuites is the JUnit document as a CI system reads it, declared
// apart from the writer's types so that the test checks the XML itself.
type parsedSuites struct {
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Cases    []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

func TestJUnitParsesBack(t *testing.T) {
	tests := []struct {
		name                               string
		r                                  *Report
		tests, failures, skipped           int
		firstClass, firstName, failMessage string
		failBody                           string
	}{
		{name: "full", r: fixtureReport(t), tests: 8, failures: 5, skipped: 2,
			firstClass: "aws-secret-access-key", firstName: "app/src/config.js:4", failMessage: "AWS secret access key",
			failBody: "evidence: " + pipeline.Redact(secretValue(t, "aws-secret-access-key")) + "\n"},
		{name: "empty", r: emptyReport(), tests: 1, firstClass: "secrets", firstName: "no findings"},
		{name: "ungated", r: ungatedReport(t), tests: 3, skipped: 2, firstClass: "github-pat",
			firstName: "deploy/ci.sh:12 (commit 9fceb02)"},
	}
	for _, tt := range tests {
		var doc parsedSuites
		if err := xml.Unmarshal(render(t, "junit", Options{}, tt.r), &doc); err != nil {
			t.Fatalf("%s: parse junit: %v", tt.name, err)
		}
		if len(doc.Suites) != 1 {
			t.Fatalf("%s: %d test suites, want 1", tt.name, len(doc.Suites))
		}
		s := doc.Suites[0]
		var failures, skipped int
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
			if c.Skipped != nil {
				skipped++
			}
		}
		got := [...]int{s.Tests, len(s.Cases), s.Failures, failures, s.Skipped, skipped, doc.Tests, doc.Failures, doc.Skipped}
		want := [...]int{tt.tests, tt.tests, tt.failures, tt.failures, tt.skipped, tt.skipped, tt.tests, tt.failures, tt.skipped}
		if got != want {
			t.Errorf("%s: counts (tests attr, cases, failures attr, failures, skipped attr, skipped, totals...) = %v, want %v",
				tt.name, got, want)
		}
		first := s.Cases[0]
		if first.Classname != tt.firstClass || first.Name != tt.firstName {
			t.Errorf("%s: first case = %s / %s, want %s / %s", tt.name, first.Classname, first.Name, tt.firstClass, tt.firstName)
		}
		if tt.failMessage != "" && (first.Failure == nil || first.Failure.Message != tt.failMessage) {
			t.Errorf("%s: first case failure = %+v, want message %q", tt.name, first.Failure, tt.failMessage)
		}
		if tt.failBody != "" && (first.Failure == nil || !strings.Contains(first.Failure.Body, tt.failBody)) {
			t.Errorf("%s: first case failure = %+v, want details with %q", tt.name, first.Failure, tt.failBody)
		}
		if s.Name != "secpipe secrets" {
			t.Errorf("%s: suite name = %q, want %q", tt.name, s.Name, "secpipe secrets")
		}
	}
}
