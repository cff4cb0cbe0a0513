package secrets

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/pipeline"
)

const goodRules = `# Extra rules for ACME's internal services.
rules:
  - id: acme-api-token
    title: ACME API token
    severity: high
    keywords: [ACME_]
    pattern: '(?:^|[^A-Za-z0-9_])(?P<secret>acme_[A-Za-z0-9]{32})(?:$|[^A-Za-z0-9_])'
    min_entropy: 3.5
    remediation: Revoke it in the ACME console.
    references: [https://acme.invalid/docs/tokens]
  - id: acme-cert-bundle
    title: ACME certificate bundle
    severity: medium
    keywords: ["-----begin acme"]
    pattern: '(?s)-----BEGIN ACME-----\n(.{10,400}?)\n-----END ACME-----'
    secret_group: 1
    multiline: true
    max_len: 600
    credential_group: acme
`

func TestLoadRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yml")
	writeFile(t, path, []byte(goodRules))
	rules, err := LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{
			ID: "acme-api-token", Title: "ACME API token", Severity: pipeline.SeverityHigh, Keywords: []string{"acme_"},
			Pattern:    `(?:^|[^A-Za-z0-9_])(?P<secret>acme_[A-Za-z0-9]{32})(?:$|[^A-Za-z0-9_])`,
			MinEntropy: 3.5, Remediation: "Revoke it in the ACME console.", References: []string{"https://acme.invalid/docs/tokens"},
		},
		{
			ID: "acme-cert-bundle", Title: "ACME certificate bundle", Severity: pipeline.SeverityMedium,
			Keywords: []string{"-----begin acme"}, Pattern: `(?s)-----BEGIN ACME-----\n(.{10,400}?)\n-----END ACME-----`,
			SecretGroup: 1, Multiline: true, MaxLen: 600, CredentialGroup: "acme",
		},
	}
	if diff := cmp.Diff(want, rules, cmpopts.IgnoreUnexported(Rule{}), cmpopts.IgnoreFields(Rule{}, "Verify")); diff != "" {
		t.Fatalf("LoadRules (-want +got):\n%s", diff)
	}
	// The loaded rules work alongside the engine's.
	tok := "acme_" + fake(1, upperDigits+lowerDigits, 32)
	root := writeTree(t, map[string]string{"x.env": "ACME=" + tok + "\n"})
	s, _ := newScanner(t, Config{Rules: append(engineRules(), rules...)})
	if got := where(scanAll(t, s, root)); !cmp.Equal(got, []string{"acme-api-token x.env:1:6"}) {
		t.Errorf("scan with custom rules = %v", got)
	}
}

func TestLoadRulesErrors(t *testing.T) {
	rule := func(fields string) string {
		return "rules:\n  - id: my-rule\n    title: Mine\n    severity: high\n" + fields
	}
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{name: "syntax", yaml: "rules:\n  - id: [unclosed\n", wantErr: "rules.yml:2:"},
		{name: "empty", yaml: "", wantErr: "empty file"},
		{name: "no rules", yaml: "rules: []\n", wantErr: "no rules"},
		{name: "unknown field", yaml: rule("    keywords: [abc]\n    pattern: abc\n    colour: red\n"), wantErr: "rules.yml:7:5"},
		{name: "bad pattern", yaml: rule("    keywords: [abc]\n    pattern: 'abc(('\n"), wantErr: "rules.yml:6:14: rules[0].pattern: error parsing regexp"},
		{name: "missing pattern", yaml: rule("    keywords: [abc]\n"), wantErr: "rules[0].pattern: pattern is required"},
		{name: "bad severity", yaml: "rules:\n  - id: x-y\n    title: T\n    severity: urgent\n    keywords: [abc]\n    pattern: abc\n", wantErr: "rules.yml:4:15: rules[0].severity"},
		{name: "short keyword", yaml: rule("    keywords: [ab]\n    pattern: abc\n"), wantErr: "rules.yml:5:15: rules[0].keywords"},
		{name: "no keywords", yaml: rule("    pattern: abc\n"), wantErr: "rules[0].keywords: at least one keyword"},
		{name: "bad id", yaml: "rules:\n  - id: My Rule\n    title: T\n    severity: low\n    keywords: [abc]\n    pattern: abc\n", wantErr: "rules.yml:2:9: rules[0].id"},
		{name: "secret group", yaml: rule("    keywords: [abc]\n    pattern: a(b)c\n    secret_group: 2\n"), wantErr: "rules.yml:7:19: rules[0].secret_group"},
		{name: "max len", yaml: rule("    keywords: [abc]\n    pattern: abc\n    max_len: 99999999\n"), wantErr: "rules[0].max_len"},
		{name: "duplicate", yaml: rule("    keywords: [abc]\n    pattern: abc\n") + "  - id: my-rule\n    title: Again\n    severity: low\n    keywords: [abc]\n    pattern: abc\n", wantErr: "rules.yml:7:9: rules[1].id: duplicate id"},
		{name: "wrong type", yaml: rule("    keywords: abc\n    pattern: abc\n"), wantErr: "rules.yml:5:"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, "rules.yml")
		writeFile(t, path, []byte(tt.yaml))
		_, err := LoadRules(path)
		if err == nil || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: LoadRules(%q) = %v, want ErrInvalid containing %q", tt.name, tt.yaml, err, tt.wantErr)
		}
	}
	if _, err := LoadRules(filepath.Join(dir, "missing.yml")); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("LoadRules(missing) = %v, want ErrNotFound", err)
	}
}

// FuzzLoadRules feeds the rule-file parser arbitrary YAML: it must not
// panic, and whatever it accepts must build a working detector.
func FuzzLoadRules(f *testing.F) {
	f.Add([]byte(goodRules))
	f.Add([]byte("rules:\n  - id: a\n    title: b\n    severity: low\n    keywords: [abc]\n    pattern: abc\n"))
	f.Add([]byte("rules: {id: x}\n"))
	f.Add([]byte("- just\n- a list\n"))
	// Once made the YAML library panic.
	f.Add([]byte("rules:\n  ! 0\n000008:"))
	f.Add([]byte("rules:\n  - &a {id: x-y, title: t, severity: info, keywords: [xyz], pattern: x}\n  - *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := parseRules("fuzz.yml", data)
		if err != nil {
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("parseRules error %v does not wrap ErrInvalid", err)
			}
			return
		}
		d, err := NewDetector(rules)
		if err != nil {
			// Only a duplicate id across files can fail here; within one file it is an error.
			t.Fatalf("NewDetector(accepted rules) = %v", err)
		}
		d.Find(data)
	})
}
