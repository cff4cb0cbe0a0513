package gate

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Fingerprints used across the tests; the baselines in testdata/baseline
// hold some of them.
const (
	fpAWS    = "fab8b3a72d1e2820978da612f5a9a6a5" // in report.json
	fpGitHub = "f38a5943c30e78805341739421e3f15b" // in report.json
	fpStripe = "1da002b279ce5a25fad1c6356baa115e" // in report.sarif
	fpSlack  = "129eb1bc2e5cfe0a4ec7fd3aed07411a" // in report.sarif
	fpOther  = "2235b01aab2fd2f477e1bce0fa6886e5" // in no baseline
)

// now is the fixed evaluation time: midday on 2026-06-15, UTC.
var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func secret(rule, path, fp string, sev pipeline.Severity) pipeline.Finding {
	return pipeline.Finding{
		Kind: pipeline.KindSecret, RuleID: rule, Severity: sev, Title: rule,
		Location: pipeline.Location{Path: path, Line: 1}, Fingerprint: fp,
	}
}

func mustIgnore(t *testing.T, src string) *IgnoreFile {
	t.Helper()
	f, err := ParseIgnoreFile(".secpipeignore", []byte(src))
	if err != nil {
		t.Fatalf("ParseIgnoreFile: %v", err)
	}
	return f
}

func mustBaseline(t *testing.T, path string) *Baseline {
	t.Helper()
	b, err := LoadBaseline(path)
	if err != nil {
		t.Fatalf("LoadBaseline: %v", err)
	}
	return b
}

// oneOfEach holds one secret finding per severity, indexes 0 (unknown) to 5
// (critical), plus index 6 with a severity outside the known range.
func oneOfEach() []pipeline.Finding {
	var fs []pipeline.Finding
	for _, s := range pipeline.Severities() {
		fs = append(fs, secret("r-"+s.String(), "a.txt", fpOther, s))
	}
	return append(fs, secret("r-bogus", "a.txt", fpOther, pipeline.Severity(9)))
}

func TestEvaluateThreshold(t *testing.T) {
	tests := []struct {
		failOn, unknownAs pipeline.Severity
		want              []int
	}{
		{failOn: pipeline.SeverityCritical, want: []int{5}},
		{failOn: pipeline.SeverityHigh, want: []int{0, 4, 5, 6}},
		{failOn: pipeline.SeverityMedium, want: []int{0, 3, 4, 5, 6}},
		{failOn: pipeline.SeverityLow, want: []int{0, 2, 3, 4, 5, 6}},
		{failOn: pipeline.SeverityInfo, want: []int{0, 1, 2, 3, 4, 5, 6}},
		{failOn: pipeline.SeverityUnknown, want: []int{0, 1, 2, 3, 4, 5, 6}},
		{failOn: pipeline.SeverityCritical, unknownAs: pipeline.SeverityCritical, want: []int{0, 5, 6}},
		{failOn: pipeline.SeverityLow, unknownAs: pipeline.SeverityInfo, want: []int{2, 3, 4, 5}},
		{failOn: pipeline.SeverityLow, unknownAs: pipeline.SeverityLow, want: []int{0, 2, 3, 4, 5, 6}},
		{failOn: pipeline.SeverityMedium, unknownAs: pipeline.SeverityLow, want: []int{3, 4, 5}},
	}
	for _, tt := range tests {
		p := Policy{FailOn: tt.failOn, UnknownAs: tt.unknownAs, Now: now}
		v := Evaluate(p, oneOfEach())
		if !cmp.Equal(v.Blocking, tt.want) {
			t.Errorf("Evaluate(fail-on %v, unknown-as %v).Blocking = %v, want %v", tt.failOn, tt.unknownAs, v.Blocking, tt.want)
		}
		if v.Passed != (len(tt.want) == 0) || v.FailOn != tt.failOn {
			t.Errorf("Evaluate(fail-on %v, unknown-as %v) = passed %v fail-on %v, want passed %v fail-on %v",
				tt.failOn, tt.unknownAs, v.Passed, v.FailOn, len(tt.want) == 0, tt.failOn)
		}
	}
}

// evalCase is one Evaluate scenario; wantSup and wantExp give each
// finding's Suppressed and Expired after evaluation.
type evalCase struct {
	name     string
	policy   Policy
	findings []pipeline.Finding
	want     pipeline.Verdict
	wantSup  []*pipeline.Suppression
	wantExp  []*pipeline.Suppression
}

func runEvalCases(t *testing.T, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := append([]pipeline.Finding(nil), tt.findings...)
			got := Evaluate(tt.policy, fs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate verdict (-want +got):\n%s", diff)
			}
			var sup, exp []*pipeline.Suppression
			for _, f := range fs {
				sup = append(sup, f.Suppressed)
				exp = append(exp, f.Expired)
			}
			if tt.wantSup == nil {
				tt.wantSup = make([]*pipeline.Suppression, len(fs))
			}
			if tt.wantExp == nil {
				tt.wantExp = make([]*pipeline.Suppression, len(fs))
			}
			if diff := cmp.Diff(tt.wantSup, sup, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Suppressed after Evaluate (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantExp, exp, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Expired after Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluatePolicy(t *testing.T) {
	high, crit := pipeline.SeverityHigh, pipeline.SeverityCritical
	inline := &pipeline.Suppression{By: "inline", Reason: "test vector", Source: "a.go:3"}
	vuln := pipeline.Finding{Kind: pipeline.KindVuln, RuleID: "CVE-2018-17182", Severity: high,
		Location: pipeline.Location{Package: "linux-image-4.15", Version: "4.15.0-29"}, Fingerprint: fpOther}
	config := pipeline.Finding{Kind: pipeline.KindConfig, RuleID: "ssh-root-login", Severity: crit, Fingerprint: fpOther}
	withInline := secret("github-pat", "a.go", fpGitHub, crit)
	withInline.Suppressed = inline
	runEvalCases(t, []evalCase{
		{
			name:     "no findings pass",
			policy:   Policy{FailOn: pipeline.SeverityInfo, Now: now},
			findings: nil,
			want:     pipeline.Verdict{Passed: true, FailOn: pipeline.SeverityInfo},
		},
		{
			name:     "kinds filter",
			policy:   Policy{FailOn: high, Kinds: []pipeline.Kind{pipeline.KindVuln}, Now: now},
			findings: []pipeline.Finding{secret("aws-access-key-id", "a.js", fpAWS, crit), vuln, config},
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{1}},
		},
		{
			name:     "kinds filter, nothing of that kind",
			policy:   Policy{FailOn: high, Kinds: []pipeline.Kind{pipeline.KindThreat}, Now: now},
			findings: []pipeline.Finding{secret("aws-access-key-id", "a.js", fpAWS, crit), vuln, config},
			want:     pipeline.Verdict{Passed: true, FailOn: high},
		},
		{
			name: "off reports but never fails",
			policy: Policy{Off: true, FailOn: pipeline.SeverityLow, Now: now,
				Ignore: mustIgnore(t, "ignore:\n  - {rule: github-pat, reason: docs}\n")},
			findings: []pipeline.Finding{secret("aws-access-key-id", "a.js", fpAWS, crit), secret("github-pat", "a.md", fpGitHub, crit)},
			want:     pipeline.Verdict{Passed: true, FailOn: pipeline.SeverityLow, Suppressed: 1},
			wantSup:  []*pipeline.Suppression{nil, {By: "ignore-file", Reason: "docs", Source: ".secpipeignore:2"}},
		},
		{
			name:     "inline suppression is honoured and counted",
			policy:   Policy{FailOn: pipeline.SeverityLow, Now: now},
			findings: []pipeline.Finding{withInline, secret("aws-access-key-id", "a.js", fpAWS, high)},
			want:     pipeline.Verdict{FailOn: pipeline.SeverityLow, Blocking: []int{1}, Suppressed: 1},
			wantSup:  []*pipeline.Suppression{inline, nil},
		},
		{
			name: "inline wins over a lapsed ignore entry and the baseline",
			policy: Policy{FailOn: pipeline.SeverityLow, Now: now, Baseline: mustBaseline(t, "testdata/baseline/report.json"),
				Ignore: mustIgnore(t, "ignore:\n  - {rule: github-pat, reason: old, expires: 2026-01-01}\n")},
			findings: []pipeline.Finding{withInline},
			want:     pipeline.Verdict{Passed: true, FailOn: pipeline.SeverityLow, Suppressed: 1},
			wantSup:  []*pipeline.Suppression{inline},
		},
	})
}

func TestEvaluateIgnore(t *testing.T) {
	high := pipeline.SeverityHigh
	ig := mustIgnore(t, `ignore:
  - rule: aws-access-key-id
    reason: by rule
  - path: "test/fixtures/**"
    reason: by path
  - fingerprint: `+fpSlack+`
    reason: by fingerprint
  - rule: github-pat
    path: "docs/*.md"
    reason: rule and path
  - rule: stripe-secret-key
    fingerprint: `+fpStripe+`
    reason: rule and fingerprint
`)
	by := func(line int, reason string) *pipeline.Suppression {
		return &pipeline.Suppression{By: "ignore-file", Reason: reason, Source: ".secpipeignore:" + strconv.Itoa(line)}
	}
	pkg := pipeline.Finding{Kind: pipeline.KindVuln, RuleID: "CVE-1", Severity: high, Fingerprint: fpOther,
		Location: pipeline.Location{Package: "test/fixtures/x"}}
	runEvalCases(t, []evalCase{
		{
			name:     "each matcher alone",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now},
			findings: []pipeline.Finding{secret("aws-access-key-id", "src/a.js", fpAWS, high), secret("generic-api-key", "test/fixtures/deep/k.txt", fpOther, high), secret("slack-bot-token", "x.env", fpSlack, high), secret("generic-api-key", "src/k.txt", fpOther, high)},
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{3}, Suppressed: 3},
			wantSup:  []*pipeline.Suppression{by(2, "by rule"), by(4, "by path"), by(6, "by fingerprint"), nil},
		},
		{
			name:   "all given matchers must match",
			policy: Policy{FailOn: high, Ignore: ig, Now: now},
			findings: []pipeline.Finding{
				secret("github-pat", "docs/setup.md", fpGitHub, high),         // rule and path match
				secret("github-pat", "docs/deep/setup.md", fpGitHub, high),    // * stays in one directory
				secret("github-pat", "src/setup.md", fpGitHub, high),          // path differs
				secret("gitlab-pat", "docs/setup.md", fpGitHub, high),         // rule differs
				secret("stripe-secret-key", "billing.go", fpStripe, high),     // rule and fingerprint match
				secret("stripe-secret-key", "billing.go", fpOther, high),      // fingerprint differs
				secret("stripe-secret-key", "test/fixtures/a", fpOther, high), // path entry matches instead
			},
			want:    pipeline.Verdict{FailOn: high, Blocking: []int{1, 2, 3, 5}, Suppressed: 3},
			wantSup: []*pipeline.Suppression{by(8, "rule and path"), nil, nil, nil, by(11, "rule and fingerprint"), nil, by(4, "by path")},
		},
		{
			name:     "a path entry never matches a finding without a path",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now},
			findings: []pipeline.Finding{pkg},
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{0}},
		},
		{
			name:     "fingerprints compare case-insensitively",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now},
			findings: []pipeline.Finding{secret("slack-bot-token", "x.env", "129EB1BC2E5CFE0A4EC7FD3AED07411A", high)},
			want:     pipeline.Verdict{Passed: true, FailOn: high, Suppressed: 1},
			wantSup:  []*pipeline.Suppression{by(6, "by fingerprint")},
		},
	})
}

func TestEvaluateExpiry(t *testing.T) {
	high := pipeline.SeverityHigh
	ig := mustIgnore(t, `ignore:
  - {rule: yesterday, reason: r1, expires: 2026-06-14}
  - {rule: today, reason: r2, expires: 2026-06-15}
  - {rule: tomorrow, reason: r3, expires: 2026-06-16}
  - {rule: second-ago, reason: r4, expires: "2026-06-15T11:59:59Z"}
  - {rule: exactly-now, reason: r5, expires: "2026-06-15T14:00:00+02:00"}
  - {rule: renewed, reason: old, expires: 2026-01-01}
  - {path: "renewed/**", reason: new}
  - {rule: aws-access-key-id, reason: was accepted, expires: 2026-01-01}
`)
	entry := func(line int, reason string, exp time.Time) *pipeline.Suppression {
		return &pipeline.Suppression{By: "ignore-file", Reason: reason, Source: ".secpipeignore:" + strconv.Itoa(line), Expires: exp}
	}
	endOf := func(day int) time.Time { return time.Date(2026, 6, day, 23, 59, 59, 0, time.UTC) }
	exactlyNow := time.Date(2026, 6, 15, 14, 0, 0, 0, time.FixedZone("", 2*3600))
	newYear := time.Date(2026, 1, 1, 23, 59, 59, 0, time.UTC)
	rules := func(rs ...string) []pipeline.Finding {
		var fs []pipeline.Finding
		for _, r := range rs {
			fs = append(fs, secret(r, "src/"+r, fpOther, high))
		}
		return fs
	}
	runEvalCases(t, []evalCase{
		{
			name:     "yesterday lapsed, today and tomorrow hold",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now},
			findings: rules("yesterday", "today", "tomorrow", "yesterday"),
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{0, 3}, Suppressed: 2, Expired: 1},
			wantSup:  []*pipeline.Suppression{nil, entry(3, "r2", endOf(15)), entry(4, "r3", endOf(16)), nil},
			wantExp:  []*pipeline.Suppression{entry(2, "r1", endOf(14)), nil, nil, entry(2, "r1", endOf(14))},
		},
		{
			name:     "RFC 3339 expiry lapses after its instant",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now},
			findings: rules("second-ago", "exactly-now", "yesterday"),
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{0, 2}, Suppressed: 1, Expired: 2},
			wantSup:  []*pipeline.Suppression{nil, entry(6, "r5", exactlyNow), nil},
			wantExp:  []*pipeline.Suppression{entry(5, "r4", time.Date(2026, 6, 15, 11, 59, 59, 0, time.UTC)), nil, entry(2, "r1", endOf(14))},
		},
		{
			name:     "a date holds until the last second of its day",
			policy:   Policy{FailOn: high, Ignore: ig, Now: endOf(15)},
			findings: rules("today"),
			want:     pipeline.Verdict{Passed: true, FailOn: high, Suppressed: 1},
			wantSup:  []*pipeline.Suppression{entry(3, "r2", endOf(15))},
		},
		{
			name:     "a date lapses at midnight UTC",
			policy:   Policy{FailOn: high, Ignore: ig, Now: endOf(15).Add(time.Second)},
			findings: rules("today"),
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{0}, Expired: 1},
			wantExp:  []*pipeline.Suppression{entry(3, "r2", endOf(15))},
		},
		{
			name:     "an active entry wins over a lapsed one",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now},
			findings: []pipeline.Finding{secret("renewed", "renewed/a.txt", fpOther, high)},
			want:     pipeline.Verdict{Passed: true, FailOn: high, Suppressed: 1},
			wantSup:  []*pipeline.Suppression{entry(8, "new", time.Time{})},
		},
		{
			name:     "a lapsed entry wins over the baseline",
			policy:   Policy{FailOn: high, Ignore: ig, Now: now, Baseline: mustBaseline(t, "testdata/baseline/report.json")},
			findings: []pipeline.Finding{secret("aws-access-key-id", "app/src/config.js", fpAWS, high)},
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{0}, Expired: 1},
			wantExp:  []*pipeline.Suppression{entry(9, "was accepted", newYear)},
		},
	})
}

func TestEvaluateBaseline(t *testing.T) {
	high := pipeline.SeverityHigh
	fromJSON := &pipeline.Suppression{By: "baseline", Source: "testdata/baseline/report.json"}
	fromSARIF := &pipeline.Suppression{By: "baseline", Source: "testdata/baseline/report.sarif"}
	runEvalCases(t, []evalCase{
		{
			name:     "json report",
			policy:   Policy{FailOn: high, Now: now, Baseline: mustBaseline(t, "testdata/baseline/report.json")},
			findings: []pipeline.Finding{secret("aws-access-key-id", "a.js", fpAWS, high), secret("github-pat", "b.sh", fpGitHub, high), secret("stripe-secret-key", "c.go", fpStripe, high)},
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{2}, Baselined: 2},
			wantSup:  []*pipeline.Suppression{fromJSON, fromJSON, nil},
		},
		{
			name:     "sarif log",
			policy:   Policy{FailOn: high, Now: now, Baseline: mustBaseline(t, "testdata/baseline/report.sarif")},
			findings: []pipeline.Finding{secret("aws-access-key-id", "a.js", fpAWS, high), secret("stripe-secret-key", "c.go", fpStripe, high), secret("slack-bot-token", "d.env", fpSlack, high)},
			want:     pipeline.Verdict{FailOn: high, Blocking: []int{0}, Baselined: 2},
			wantSup:  []*pipeline.Suppression{nil, fromSARIF, fromSARIF},
		},
		{
			name: "an active ignore entry wins over the baseline",
			policy: Policy{FailOn: high, Now: now, Baseline: mustBaseline(t, "testdata/baseline/report.json"),
				Ignore: mustIgnore(t, "ignore:\n  - {rule: aws-access-key-id, reason: fixture}\n")},
			findings: []pipeline.Finding{secret("aws-access-key-id", "a.js", fpAWS, high), secret("github-pat", "b.sh", fpGitHub, high)},
			want:     pipeline.Verdict{Passed: true, FailOn: high, Suppressed: 1, Baselined: 1},
			wantSup:  []*pipeline.Suppression{{By: "ignore-file", Reason: "fixture", Source: ".secpipeignore:2"}, fromJSON},
		},
	})
}

// TestEvaluateAgain checks that a second Evaluate replaces what the first
// one wrote but keeps what the scanner wrote.
func TestEvaluateAgain(t *testing.T) {
	high := pipeline.SeverityHigh
	inline := &pipeline.Suppression{By: "inline"}
	fs := []pipeline.Finding{secret("a", "x", fpAWS, high), secret("b", "x", fpOther, high), secret("c", "x", fpOther, high)}
	fs[2].Suppressed = inline
	first := Policy{FailOn: high, Now: now, Baseline: mustBaseline(t, "testdata/baseline/report.json"),
		Ignore: mustIgnore(t, "ignore:\n  - {rule: b, reason: r, expires: 2026-01-01}\n")}
	if v := Evaluate(first, fs); fs[0].Suppressed == nil || fs[1].Expired == nil || v.Passed {
		t.Fatalf("first Evaluate = %+v, findings %+v; want a baselined and an expired finding", v, fs)
	}
	v := Evaluate(Policy{FailOn: high, Now: now}, fs)
	want := pipeline.Verdict{FailOn: high, Blocking: []int{0, 1}, Suppressed: 1}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("second Evaluate verdict (-want +got):\n%s", diff)
	}
	if fs[0].Suppressed != nil || fs[1].Expired != nil || fs[2].Suppressed != inline {
		t.Errorf("second Evaluate left Suppressed %v, %v, %v and Expired %v; want nil, nil, inline and nil",
			fs[0].Suppressed, fs[1].Suppressed, fs[2].Suppressed, fs[1].Expired)
	}
}

// TestEvaluateZeroNow checks that a zero Policy.Now judges expiry at the
// current time.
func TestEvaluateZeroNow(t *testing.T) {
	ig := mustIgnore(t, `ignore:
  - {rule: past, reason: r, expires: 2000-01-01}
  - {rule: future, reason: r, expires: 2999-01-01}
`)
	fs := []pipeline.Finding{secret("past", "x", fpOther, pipeline.SeverityHigh), secret("future", "x", fpOther, pipeline.SeverityHigh)}
	v := Evaluate(Policy{FailOn: pipeline.SeverityHigh, Ignore: ig}, fs)
	if !cmp.Equal(v.Blocking, []int{0}) || v.Expired != 1 || v.Suppressed != 1 {
		t.Errorf("Evaluate with zero Now = %+v, want blocking [0], 1 expired, 1 suppressed", v)
	}
}

func vuln(id string, aliases []string, pkg, version string, sev pipeline.Severity) pipeline.Finding {
	return pipeline.Finding{
		Kind: pipeline.KindVuln, RuleID: id, Aliases: aliases, Severity: sev, Title: id,
		Location:    pipeline.Location{Path: "var/lib/dpkg/status", Package: pkg, Version: version},
		Fingerprint: pipeline.Fingerprint(id, pkg),
	}
}

func TestEvaluateVulnIgnore(t *testing.T) {
	kernel := "linux-image-4.9.0-8-amd64"
	findings := func() []pipeline.Finding {
		return []pipeline.Finding{
			vuln("DSA-4308-1", []string{"CVE-2018-14633", "CVE-2018-17182"}, kernel, "4.9.110-3+deb9u4", pipeline.SeverityHigh),
			vuln("GHSA-xxxx-yyyy-zzzz", []string{"CVE-2021-1"}, "lodash", "4.17.20", pipeline.SeverityHigh),
			vuln("GO-2022-0001", nil, "golang.org/x/net", "v0.1.0", pipeline.SeverityUnknown),
		}
	}
	tests := []struct {
		name   string
		ignore string
		want   []int // blocking indexes
	}{
		{name: "none", ignore: "", want: []int{0, 1, 2}},
		{name: "by id", ignore: "ignore:\n  - {rule: DSA-4308-1, reason: r}\n", want: []int{1, 2}},
		{name: "by alias, any case", ignore: "ignore:\n  - {rule: cve-2018-17182, reason: r}\n", want: []int{1, 2}},
		{name: "by package", ignore: "ignore:\n  - {package: lodash, reason: r}\n", want: []int{0, 2}},
		{name: "by package@version", ignore: "ignore:\n  - {package: lodash@4.17.20, reason: r}\n", want: []int{0, 2}},
		{name: "other version", ignore: "ignore:\n  - {package: lodash@4.17.21, reason: r}\n", want: []int{0, 1, 2}},
		{name: "advisory in package", ignore: "ignore:\n  - {rule: CVE-2021-1, package: " + kernel + ", reason: r}\n", want: []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{FailOn: pipeline.SeverityHigh, Now: now}
			if tt.ignore != "" {
				p.Ignore = mustIgnore(t, tt.ignore)
			}
			v := Evaluate(p, findings())
			if diff := cmp.Diff(tt.want, v.Blocking, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Blocking (-want +got):\n%s", diff)
			}
		})
	}
	// A secret's rule never matches by alias or case.
	s := secret("AWS-KEY", "a.txt", fpOther, pipeline.SeverityHigh)
	s.Aliases = []string{"aws"}
	v := Evaluate(Policy{FailOn: pipeline.SeverityHigh, Now: now, Ignore: mustIgnore(t, "ignore:\n  - {rule: aws, reason: r}\n")}, []pipeline.Finding{s})
	if v.Passed {
		t.Error("a secret finding was ignored by an alias; aliases apply to vulnerabilities only")
	}
}

func TestEvaluateSkipUnknown(t *testing.T) {
	p := Policy{FailOn: pipeline.SeverityInfo, UnknownAs: pipeline.SeverityCritical, SkipUnknown: true, Now: now}
	v := Evaluate(p, oneOfEach())
	if diff := cmp.Diff([]int{1, 2, 3, 4, 5}, v.Blocking); diff != "" {
		t.Errorf("Blocking with SkipUnknown (-want +got):\n%s", diff)
	}
}
