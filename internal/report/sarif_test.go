package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// The official SARIF 2.1.0 schema is not committed here; the Go module
// below ships a copy and the test takes it from the module cache.
const (
	schemaModule = "github.com/securego/gosec/v2@v2.30.0"
	schemaFile   = "report/sarif/testdata/sarif-schema-2.1.0.json"
)

// moduleDir downloads mod (or finds it in the module cache) and returns
// its directory.
func moduleDir(ctx context.Context, mod string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go command: %w", err)
	}
	out, runErr := exec.CommandContext(ctx, goBin, "mod", "download", "-json", mod).Output()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil && runErr == nil {
		return "", fmt.Errorf("go mod download %s: decode output: %w", mod, err)
	}
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	case runErr != nil:
		return "", fmt.Errorf("go mod download %s: %w", mod, runErr)
	case info.Dir == "":
		return "", fmt.Errorf("go mod download %s: no directory in its output", mod)
	}
	return info.Dir, nil
}

// sarifSchemaValidator compiles the official SARIF 2.1.0 schema. Without
// it the test fails under CI and is skipped elsewhere.
func sarifSchemaValidator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir, err := moduleDir(ctx, schemaModule)
	if err != nil {
		msg := fmt.Sprintf("the SARIF 2.1.0 schema comes from %s (%s), which is not available: %v; "+
			"run `go mod download %s` with access to the Go module proxy", schemaModule, schemaFile, err, schemaModule)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(schemaFile)))
	if err != nil {
		t.Fatalf("open SARIF schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse SARIF schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatalf("compile SARIF schema: %v", err)
	}
	return sch
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchemaValidator(t)
	reports := fixtures(t)
	odd := fixtureReport(t)
	odd.Findings[0].Location.Path = "c:weird/dir with space/%41.txt"
	odd.Findings[1].Location = pipeline.Location{Event: "exec /tmp/.x"}
	odd.Findings[2].Location = pipeline.Location{}
	odd.Findings[3].Title = ""
	odd.Tool = Tool{InformationURI: "not a url"}
	odd.Started, odd.Finished = time.Time{}, time.Time{}
	reports["odd"] = odd
	for name, r := range reports {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "sarif", Options{}, r)))
		if err != nil {
			t.Fatalf("%s: sarif output is not JSON: %v", name, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: sarif output is not valid SARIF 2.1.0:\n%v", name, err)
		}
	}
}

// TestSARIFNegativeControl makes sure the schema test can fail: a log
// with a level SARIF does not define must be rejected.
func TestSARIFNegativeControl(t *testing.T) {
	sch := sarifSchemaValidator(t)
	var doc map[string]any
	if err := json.Unmarshal(render(t, "sarif", Options{}, fixtureReport(t)), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc["runs"].([]any)[0].(map[string]any)
	run["results"].([]any)[0].(map[string]any)["level"] = "critical"
	var ve *jsonschema.ValidationError
	if err := sch.Validate(doc); !errors.As(err, &ve) {
		t.Errorf("Validate(log with level critical) = %v, want a validation error", err)
	}
}

// TestSARIFResults checks what code-scanning services rely on: each
// result names its rule by ID and index, its level, a relative URI, the
// line, our fingerprint and its suppression.
func TestSARIFResults(t *testing.T) {
	var doc sarifLog
	if err := json.Unmarshal(render(t, "sarif", Options{}, fixtureReport(t)), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	type summary struct {
		Rule, Level, URI string
		Line             int
		Suppression      string
	}
	var got []summary
	for _, res := range run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s has ruleIndex %d, which does not point at its rule", res.RuleID, res.RuleIndex)
		}
		if res.PartialFingerprints[sarifFingerprint] == "" {
			t.Errorf("result %s has no %s fingerprint", res.RuleID, sarifFingerprint)
		}
		s := summary{Rule: res.RuleID, Level: res.Level}
		if p := res.Locations[0].PhysicalLocation; p != nil {
			s.URI = p.ArtifactLocation.URI
			if p.Region != nil {
				s.Line = p.Region.StartLine
			}
		}
		for _, sup := range res.Suppressions {
			s.Suppression = sup.Kind
		}
		got = append(got, s)
	}
	want := []summary{
		{Rule: "aws-secret-access-key", Level: "error", URI: "app/src/config.js", Line: 4},
		{Rule: "private-key", Level: "error", URI: "certs/test%20key.pem", Line: 1},
		{Rule: "CVE-2018-17182", Level: "error"},
		{Rule: "aws-access-key-id", Level: "error", URI: "app/src/config.js", Line: 3},
		{Rule: "github-pat", Level: "error", URI: "deploy/ci.sh", Line: 12},
		{Rule: "slack-bot-token", Level: "warning", URI: "docs/setup.md", Line: 41, Suppression: "inSource"},
		{Rule: "generic-api-key", Level: "warning", URI: "legacy/settings.py", Line: 88, Suppression: "external"},
		{Rule: "ssh-private-key-file", Level: "note", URI: "keys/id_ed25519"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sarif results (-want +got):\n%s", diff)
	}
}

func TestRelativeURI(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{path: "app/src/config.js", want: "app/src/config.js"},
		{path: "./app/x.go", want: "app/x.go"},
		{path: "dir with space/a b.txt", want: "dir%20with%20space/a%20b.txt"},
		{path: "c:/x", want: "c%3A/x"},
		{path: "a/b:c", want: "a/b:c"},
		{path: "100%/file#1?.txt", want: "100%25/file%231%3F.txt"},
		{path: "outer.zip!inner/file.txt", want: "outer.zip%21inner/file.txt"},
		{path: "ünï/cødé.go", want: "%C3%BCn%C3%AF/c%C3%B8d%C3%A9.go"},
	}
	for _, tt := range tests {
		got := relativeURI(tt.path)
		if got != tt.want {
			t.Errorf("relativeURI(%q) = %q, want %q", tt.path, got, tt.want)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" {
			t.Errorf("relativeURI(%q) = %q does not parse as a relative reference: %v", tt.path, got, err)
		}
	}
}

func TestSARIFLevelAndSecuritySeverity(t *testing.T) {
	tests := []struct {
		sev    pipeline.Severity
		cvss   float64
		level  string
		secSev string
	}{
		{sev: pipeline.SeverityCritical, level: "error", secSev: "9.5"},
		{sev: pipeline.SeverityCritical, cvss: 9.8, level: "error", secSev: "9.8"},
		{sev: pipeline.SeverityHigh, level: "error", secSev: "8.0"},
		{sev: pipeline.SeverityHigh, cvss: 7.8, level: "error", secSev: "7.8"},
		{sev: pipeline.SeverityHigh, cvss: 9.8, level: "error", secSev: "8.0"}, // CVSS outside the band
		{sev: pipeline.SeverityMedium, level: "warning", secSev: "5.5"},
		{sev: pipeline.SeverityLow, level: "note", secSev: "2.0"},
		{sev: pipeline.SeverityInfo, level: "note", secSev: ""},
		{sev: pipeline.SeverityUnknown, level: "note", secSev: ""},
	}
	for _, tt := range tests {
		if got := sarifLevel(tt.sev); got != tt.level {
			t.Errorf("sarifLevel(%v) = %q, want %q", tt.sev, got, tt.level)
		}
		if got := securitySeverity(tt.sev, tt.cvss); got != tt.secSev {
			t.Errorf("securitySeverity(%v, %v) = %q, want %q", tt.sev, tt.cvss, got, tt.secSev)
		}
	}
}

func TestSARIFRuleName(t *testing.T) {
	tests := []struct{ id, want string }{
		{id: "aws-access-key-id", want: "AwsAccessKeyId"},
		{id: "CVE-2018-17182", want: "CVE201817182"},
		{id: "generic_api.key", want: "GenericApiKey"},
		{id: "---", want: "Rule"},
	}
	for _, tt := range tests {
		if got := sarifRuleName(tt.id); got != tt.want {
			t.Errorf("sarifRuleName(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
