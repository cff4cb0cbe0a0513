package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/ssh"
	"github.com/secpipe/secpipe/internal/scan/sbom"
	"github.com/secpipe/secpipe/internal/scan/vulns/vulndb"
)

// awsKey returns a fake AWS key pair, built at run time so that the source
// holds no token-shaped literal.
func awsKey() (id, secret string) {
	return "AKIA" + "VQJXXVBOTHD2" + "WTFL", "fz3hlkV797tp" + "nBPJAVA1BmzW" + "imLVDP5GJtRd8oSJ"
}

// unpack writes the files of testdata/NAME.txtar under a new directory,
// with the fake key in place of {{KEY_ID}} and {{SECRET}}.
func unpack(t *testing.T, name string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	id, secret := awsKey()
	dir := t.TempDir()
	for _, f := range ar.Files {
		data := strings.NewReplacer("{{KEY_ID}}", id, "{{SECRET}}", secret).Replace(string(f.Data))
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixedNow is the clock of the tests.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newProvider(t *testing.T) *Provider {
	t.Helper()
	return New(Config{
		ConfigChecks: ssh.Checks,
		Extractors:   func() []sbom.Extractor { return []sbom.Extractor{sbom.Scalibr(dpkg.New)} },
		DBDir:        filepath.Join(t.TempDir(), "no-db"),
		Version:      "test",
		Now:          func() time.Time { return fixedNow },
	})
}

// request is an action request with one input and one output artifact.
func request(t *testing.T, input string, cfg map[string]any) (*pipeline.ActionRequest, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	return &pipeline.ActionRequest{
		ExecutionID: "e1",
		Stage:       "Build",
		Action:      pipeline.Action{Name: "Scan", Provider: "scan", Inputs: []string{"SourceArtifact"}, Outputs: []string{"ScanArtifact"}},
		Attempt:     1,
		Config:      cfg,
		Inputs:      map[string]string{"SourceArtifact": input},
		Outputs:     map[string]string{"ScanArtifact": t.TempDir()},
		Log:         &log,
	}, &log
}

// jsonReport is the part of scan-report.json the tests read.
type jsonReport struct {
	Scanner  string `json:"scanner"`
	Target   string `json:"target"`
	Verdict  struct{ Passed bool }
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Evidence string `json:"evidence"`
	} `json:"findings"`
}

func readReport(t *testing.T, req *pipeline.ActionRequest) (jsonReport, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(req.Outputs["ScanArtifact"], ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep, string(data)
}

func TestSecretsGateFails(t *testing.T) {
	req, log := request(t, unpack(t, "source"), map[string]any{"scanners": []any{"secrets"}, "fail_on": "low"})
	res, err := newProvider(t).Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != pipeline.ActionFailed || res.Message != "gate failed: 2 blocking findings at or above low" {
		t.Errorf("Run() = %s %q, want failed with the blocking count", res.State, res.Message)
	}
	if res.Verdict == nil || res.Verdict.Passed || len(res.Findings) != 2 {
		t.Fatalf("Run() verdict %+v with %d findings, want a failed verdict over 2", res.Verdict, len(res.Findings))
	}
	wantLoc := map[string]string{"aws-access-key-id": "app/src/config.js:2", "aws-secret-access-key": "app/src/config.js:3"}
	for _, f := range res.Findings {
		if got := f.Location.String(); got != wantLoc[f.RuleID] {
			t.Errorf("finding %s at %s, want %s", f.RuleID, got, wantLoc[f.RuleID])
		}
	}
	if res.OutputVariables["Verdict"] != "failed" || res.OutputVariables["Blocking"] != "2" {
		t.Errorf("OutputVariables = %v, want Verdict failed, Blocking 2", res.OutputVariables)
	}
	rep, raw := readReport(t, req)
	if rep.Scanner != "secrets" || rep.Target != "SourceArtifact" || rep.Verdict.Passed || len(rep.Findings) != 2 {
		t.Errorf("scan-report.json = %+v, want the secrets scan of SourceArtifact, failed, 2 findings", rep)
	}
	if !strings.Contains(log.String(), "app/src/config.js:2") || !strings.Contains(log.String(), "FAILED") {
		t.Errorf("log lacks the table report:\n%s", log)
	}
	id, secret := awsKey()
	for what, text := range map[string]string{"log": log.String(), "report": raw} {
		if strings.Contains(text, id) || strings.Contains(text, secret) {
			t.Errorf("the %s holds the secret in full", what)
		}
	}
}

func TestGateSettings(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		ignore  string // contents of .secpipeignore at the artifact root
		state   pipeline.ActionState
		message string
	}{
		{
			name:    "default threshold high",
			cfg:     map[string]any{"scanners": "secrets"},
			state:   pipeline.ActionFailed,
			message: "gate failed: 2 blocking findings at or above high",
		},
		{
			name:    "fail_on critical (both AWS findings are critical)",
			cfg:     map[string]any{"scanners": "secrets", "fail_on": "CRITICAL"},
			state:   pipeline.ActionFailed,
			message: "gate failed: 2 blocking findings at or above critical",
		},
		{
			name:    "gate off",
			cfg:     map[string]any{"scanners": "secrets", "fail_on": "none"},
			state:   pipeline.ActionSucceeded,
			message: "2 findings; gate off (fail_on none)",
		},
		{
			name:    "ignore file at the root",
			cfg:     map[string]any{"scanners": "secrets"},
			ignore:  "version: 1\nignore:\n  - path: \"app/**\"\n    reason: test keys, revoked\n",
			state:   pipeline.ActionSucceeded,
			message: "gate passed: 2 findings, none blocking at or above high",
		},
		{
			name:    "target without the secret",
			cfg:     map[string]any{"scanners": "secrets", "target": "SourceArtifact/docs"},
			state:   pipeline.ActionSucceeded,
			message: "gate passed: 0 findings, none blocking at or above high",
		},
		{
			name:    "target as a path in the first input",
			cfg:     map[string]any{"scanners": "secrets", "target": "app/src"},
			state:   pipeline.ActionFailed,
			message: "gate failed: 2 blocking findings at or above high",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := unpack(t, "source")
			if tt.ignore != "" {
				if err := os.WriteFile(filepath.Join(src, IgnoreFileName), []byte(tt.ignore), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			req, _ := request(t, src, tt.cfg)
			res, err := newProvider(t).Run(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.State != tt.state || res.Message != tt.message {
				t.Errorf("Run() = %s %q, want %s %q", res.State, res.Message, tt.state, tt.message)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name string
		cfg  map[string]any
		// prepare changes the source tree, or the provider's config.
		prepare func(t *testing.T, src string, cfg *Config)
		want    error
	}{
		{name: "no scanners", cfg: map[string]any{}, want: pipeline.ErrInvalid},
		{name: "unknown scanner", cfg: map[string]any{"scanners": []any{"malware"}}, want: pipeline.ErrInvalid},
		{name: "unknown field", cfg: map[string]any{"scanners": "secrets", "fail-on": "low"}, want: pipeline.ErrInvalid},
		{name: "bad severity", cfg: map[string]any{"scanners": "secrets", "fail_on": "severe"}, want: pipeline.ErrInvalid},
		{name: "bad unknown_severity", cfg: map[string]any{"scanners": "secrets", "unknown_severity": "maybe"}, want: pipeline.ErrInvalid},
		{name: "target escapes", cfg: map[string]any{"scanners": "secrets", "target": "../etc"}, want: pipeline.ErrInvalid},
		{name: "target missing", cfg: map[string]any{"scanners": "secrets", "target": "nope"}, want: pipeline.ErrNotFound},
		{
			name: "target is a link out of the artifact",
			cfg:  map[string]any{"scanners": "secrets", "target": "host"},
			prepare: func(t *testing.T, src string, _ *Config) {
				if err := os.Symlink(outside, filepath.Join(src, "host")); err != nil {
					t.Fatal(err)
				}
			},
			want: pipeline.ErrInvalid,
		},
		{name: "named ignore file missing", cfg: map[string]any{"scanners": "secrets", "ignore_file": "x.yml"}, want: pipeline.ErrNotFound},
		{
			name: "config scanner not wired",
			cfg:  map[string]any{"scanners": "config"},
			prepare: func(_ *testing.T, _ string, cfg *Config) {
				cfg.ConfigChecks = nil
			},
			want: pipeline.ErrInvalid,
		},
		{name: "no vulnerability database", cfg: map[string]any{"scanners": "vulns"}, want: pipeline.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := unpack(t, "source")
			cfg := newProvider(t).cfg
			if tt.prepare != nil {
				tt.prepare(t, src, &cfg)
			}
			req, _ := request(t, src, tt.cfg)
			if _, err := New(cfg).Run(context.Background(), req); !errors.Is(err, tt.want) {
				t.Errorf("Run() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := request(t, unpack(t, "source"), map[string]any{"scanners": "secrets"})
	if _, err := newProvider(t).Run(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() with a cancelled context: error = %v, want context.Canceled", err)
	}
}

func TestConfigScanner(t *testing.T) {
	req, log := request(t, unpack(t, "rootfs-ssh"), map[string]any{"scanners": []any{"config"}})
	res, err := newProvider(t).Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, i := range res.Verdict.Blocking {
		found = found || res.Findings[i].RuleID == "ssh-empty-passwords"
	}
	if res.State != pipeline.ActionFailed || !found {
		t.Errorf("Run() = %s %q; want failed with ssh-empty-passwords blocking\n%s", res.State, res.Message, log)
	}
}

func TestVulnsScanner(t *testing.T) {
	ctx := context.Background()
	dir := unpack(t, "rootfs-debian")
	db := filepath.Join(t.TempDir(), "db")
	if _, err := vulndb.Import(ctx, db, []string{filepath.Join(dir, "advisories")}, vulndb.ImportOptions{Now: func() time.Time { return fixedNow }}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		failOn  string
		state   pipeline.ActionState
		message string
	}{
		{failOn: "high", state: pipeline.ActionFailed, message: "gate failed: 2 blocking findings at or above high"},
		{failOn: "critical", state: pipeline.ActionSucceeded, message: "gate passed: 2 findings, none blocking at or above critical"},
	}
	for _, tt := range tests {
		req, log := request(t, filepath.Join(dir, "rootfs"), map[string]any{"scanners": "vulns", "db": db, "fail_on": tt.failOn})
		res, err := newProvider(t).Run(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != tt.state || res.Message != tt.message {
			t.Errorf("Run(fail_on %s) = %s %q, want %s %q\n%s", tt.failOn, res.State, res.Message, tt.state, tt.message, log)
		}
		for _, f := range res.Findings {
			if f.Location.Package != "linux-image-4.9.0-8-amd64" || !strings.HasPrefix(f.RuleID, "DEBIAN-CVE-2018-") {
				t.Errorf("finding %s for %s, want a DEBIAN-CVE-2018 advisory of the kernel", f.RuleID, f.Location)
			}
		}
		if !strings.Contains(log.String(), "4.9.110-3+deb9u5") {
			t.Errorf("log lacks the fixed version (upgrade plan):\n%s", log)
		}
	}
}

// TestConfigChecksAreFresh makes sure each run builds its own check list.
func TestConfigChecksAreFresh(t *testing.T) {
	calls := 0
	p := New(Config{ConfigChecks: func() []config.Check { calls++; return ssh.Checks() }})
	for range 2 {
		req, _ := request(t, unpack(t, "rootfs-ssh"), map[string]any{"scanners": "config"})
		if _, err := p.Run(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("ConfigChecks called %d times for 2 runs, want 2", calls)
	}
}

func TestIgnoreWarnings(t *testing.T) {
	src := unpack(t, "source")
	ignore := `version: 1
ignore:
  - rule: aws-access-key-id
    reason: rotated
    expires: 2020-01-31
  - rule: github-pat
    reason: a token long gone
  - rule: ssh-root-login
    reason: a config scan's entry
`
	if err := os.WriteFile(filepath.Join(src, "ignore.yml"), []byte(ignore), 0o644); err != nil {
		t.Fatal(err)
	}
	req, _ := request(t, src, map[string]any{"scanners": "secrets", "ignore_file": "ignore.yml"})
	res, err := newProvider(t).Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ignore entry ignore.yml:3 expired on 2020-01-31 and no longer suppresses (reason was: rotated)",
		"ignore entry ignore.yml:6 matched no finding; remove it if the problem is gone",
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	if res.Verdict.Expired != 1 {
		t.Errorf("Verdict.Expired = %d, want 1", res.Verdict.Expired)
	}
}
