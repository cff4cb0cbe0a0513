package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/secpipe/secpipe/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixtureSecret is a fake credential the fixture findings were made from.
// The reports may only ever show pipeline.Redact(value).
type fixtureSecret struct {
	rule, value string
}

// fixtureSecrets returns the fake credentials behind the fixture's secret
// findings. They are built at run time so that the source holds no
// token-shaped literal; the AWS pair is AWS's documented example.
func fixtureSecrets() []fixtureSecret {
	return []fixtureSecret{
		{"aws-access-key-id", "AKIA" + "IOSFODNN7EXAMPLE"},
		{"aws-secret-access-key", "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"},
		{"github-pat", "ghp_" + strings.Repeat("Zx9Q", 9)},
		{"slack-bot-token", "xoxb-" + strings.Repeat("1029384756", 2) + "-" + strings.Repeat("aB3d", 6)},
		{"generic-api-key", "api-" + strings.Repeat("9f3c", 6)},
		{"private-key", "-----BEGIN OPENSSH PRIVATE KEY-----" + strings.Repeat("b3Bl", 8)},
	}
}

func secretValue(t testing.TB, rule string) string {
	t.Helper()
	for _, s := range fixtureSecrets() {
		if s.rule == rule {
			return s.value
		}
	}
	t.Fatalf("no fixture secret for rule %q", rule)
	return ""
}

// secretFinding builds a secret finding the way the secrets scanner does:
// evidence redacted, fingerprint from rule, path and a hash of the secret.
func secretFinding(t testing.TB, rule string, sev pipeline.Severity, title, path string, line int) pipeline.Finding {
	v := secretValue(t, rule)
	return pipeline.Finding{
		Kind:        pipeline.KindSecret,
		RuleID:      rule,
		Severity:    sev,
		Title:       title,
		Location:    pipeline.Location{Path: path, Line: line},
		Fingerprint: pipeline.Fingerprint(rule, path, pipeline.Fingerprint(v)),
		Remediation: "Revoke the credential at its issuer, then remove it from the repository and its history.",
		Evidence:    pipeline.Redact(v),
	}
}

// fixtureReport is the one fixed report every golden file renders: grouped
// secrets, a finding from git history, an inline-suppressed, a baselined
// and an expired-ignore finding, a package finding and one without a line.
func fixtureReport(t testing.TB) *Report {
	started := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	f := []pipeline.Finding{
		secretFinding(t, "aws-access-key-id", pipeline.SeverityHigh, "AWS access key ID", "app/src/config.js", 3),
		secretFinding(t, "aws-secret-access-key", pipeline.SeverityCritical, "AWS secret access key", "app/src/config.js", 4),
		secretFinding(t, "github-pat", pipeline.SeverityHigh, "GitHub personal access token", "deploy/ci.sh", 12),
		secretFinding(t, "slack-bot-token", pipeline.SeverityMedium, "Slack bot token", "docs/setup.md", 41),
		secretFinding(t, "generic-api-key", pipeline.SeverityMedium, "Generic API key", "legacy/settings.py", 88),
		secretFinding(t, "private-key", pipeline.SeverityCritical, "Private key", "certs/test key.pem", 1),
		{
			Kind: pipeline.KindVuln, RuleID: "CVE-2018-17182", Severity: pipeline.SeverityHigh, CVSS: 7.8,
			Title:       "linux: use-after-free in vmacache_flush_all",
			Description: "The vmacache_flush_all function mishandles sequence number overflows.",
			Location:    pipeline.Location{Package: "linux-image-4.15.0-20-generic", Version: "4.15.0-20.21"},
			Fingerprint: pipeline.Fingerprint("CVE-2018-17182", "linux-image-4.15.0-20-generic"),
			Remediation: "Upgrade linux to 4.15.0-36.39 or later.",
			References:  []string{"https://nvd.nist.gov/vuln/detail/CVE-2018-17182", "USN-3776-1"},
		},
		{
			Kind: pipeline.KindSecret, RuleID: "ssh-private-key-file", Severity: pipeline.SeverityLow,
			Title:       "SSH private key file",
			Location:    pipeline.Location{Path: "keys/id_ed25519"},
			Fingerprint: pipeline.Fingerprint("ssh-private-key-file", "keys/id_ed25519"),
		},
	}
	f[0].Location.Column, f[0].Location.EndLine, f[0].Location.EndColumn = 17, 3, 37
	f[0].Group = "aws-7c1e"
	f[1].Group = "aws-7c1e"
	f[2].Location.Commit = "9fceb02d0ae598e95dc970b74767f19372d61af8"
	f[2].Location.Author = "Dana Ops"
	f[2].Location.Email = "dana@example.com"
	f[2].Location.Date = time.Date(2024, 11, 2, 17, 4, 5, 0, time.FixedZone("", 3600))
	f[3].Suppressed = &pipeline.Suppression{By: "inline", Reason: "placeholder in the setup guide"}
	f[4].Suppressed = &pipeline.Suppression{By: "baseline", Source: ".secpipe-baseline.json"}
	f[5].Expired = &pipeline.Suppression{By: "ignore-file", Reason: "test certificate", Source: ".secpipeignore:3",
		Expires: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)}
	return &Report{
		Tool:     Tool{Name: "secpipe", Version: "0.4.0", InformationURI: "https://github.com/secpipe/secpipe"},
		Scanner:  "secrets",
		Target:   "./shop",
		Started:  started,
		Finished: started.Add(1234 * time.Millisecond),
		Findings: f,
		Verdict: &pipeline.Verdict{Passed: false, FailOn: pipeline.SeverityHigh, Blocking: []int{0, 1, 2, 5, 6},
			Suppressed: 1, Baselined: 1, Expired: 1},
		Warnings: []string{
			"ignore entry .secpipeignore:3 expired on 2025-01-31; its finding counts again",
			"vulnerability database is 9 days old (run: secpipe db update)",
		},
	}
}

// emptyReport is a clean scan with a passing gate.
func emptyReport() *Report {
	started := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	return &Report{
		Tool:     Tool{Name: "secpipe", Version: "0.4.0", InformationURI: "https://github.com/secpipe/secpipe"},
		Scanner:  "secrets",
		Target:   "./shop",
		Started:  started,
		Finished: started.Add(87 * time.Millisecond),
		Verdict:  &pipeline.Verdict{Passed: true, FailOn: pipeline.SeverityHigh},
	}
}

// ungatedReport has findings but no gate: nothing blocks.
func ungatedReport(t testing.TB) *Report {
	r := fixtureReport(t)
	r.Findings = r.Findings[2:5]
	r.Verdict = nil
	r.Warnings = nil
	return r
}

// vulnsReport is a vulnerability scan of the story's build machine: the
// kernel's two advisories block, and the upgrade plan names the fix.
func vulnsReport() *Report {
	started := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	kernel := pipeline.Location{Path: "var/lib/dpkg/status", Package: "linux-image-4.9.0-8-amd64", Version: "4.9.110-3+deb9u4"}
	vuln := func(id, alias string, cvss float64, title string) pipeline.Finding {
		return pipeline.Finding{
			Kind: pipeline.KindVuln, RuleID: id, Aliases: []string{alias}, Severity: pipeline.SeverityHigh, CVSS: cvss,
			Title: title, Description: "fixed in 4.9.110-3+deb9u5\n" + title, Location: kernel,
			Fingerprint: pipeline.Fingerprint("vuln", "Debian", kernel.Package, id),
			Remediation: "upgrade linux-image-4.9.0-8-amd64 to 4.9.110-3+deb9u5",
			References:  []string{"https://security-tracker.debian.org/tracker/" + alias},
		}
	}
	return &Report{
		Tool:    Tool{Name: "secpipe", Version: "0.4.0"},
		Scanner: "vulns", Target: "oci:build:candidate", Started: started, Finished: started.Add(42 * time.Millisecond),
		Findings: []pipeline.Finding{
			vuln("DEBIAN-CVE-2018-17182", "CVE-2018-17182", 7.8, "linux: vmacache sequence number overflow"),
			vuln("DEBIAN-CVE-2018-14633", "CVE-2018-14633", 7.0, "linux: iSCSI target stack buffer overflow"),
		},
		Verdict: &pipeline.Verdict{FailOn: pipeline.SeverityHigh, Blocking: []int{0, 1}},
		Upgrades: []Upgrade{{Ecosystem: "Debian:9", Package: kernel.Package, Version: kernel.Version,
			To: "4.9.110-3+deb9u5", Fixes: 2}},
	}
}

// fixtures names every report the golden tests render.
func fixtures(t testing.TB) map[string]*Report {
	return map[string]*Report{"full": fixtureReport(t), "empty": emptyReport(), "ungated": ungatedReport(t),
		"vulns": vulnsReport()}
}

// render writes r in format with opt and fails the test on error.
func render(t testing.TB, format string, opt Options, r *Report) []byte {
	t.Helper()
	w, err := New(format, opt)
	if err != nil {
		t.Fatalf("New(%q) = %v", format, err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatalf("Write(%s) = %v", format, err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}
