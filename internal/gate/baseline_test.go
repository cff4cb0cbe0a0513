package gate

import (
	"errors"
	"io/fs"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// fingerprints returns b's fingerprints, sorted.
func fingerprints(b *Baseline) []string {
	var out []string
	for fp := range b.fingerprints {
		out = append(out, fp)
	}
	slices.Sort(out)
	return out
}

func TestLoadBaseline(t *testing.T) {
	tests := []struct {
		path   string
		format string
		want   []string
	}{
		{path: "testdata/baseline/report.json", format: "json", want: []string{fpGitHub, fpAWS}},
		{path: "testdata/baseline/report.sarif", format: "sarif", want: []string{fpSlack, fpStripe}},
	}
	for _, tt := range tests {
		b, err := LoadBaseline(tt.path)
		if err != nil {
			t.Errorf("LoadBaseline(%q): %v", tt.path, err)
			continue
		}
		if b.Name != tt.path || b.Format != tt.format || b.Len() != len(tt.want) {
			t.Errorf("LoadBaseline(%q) = name %q, format %q, %d fingerprints; want %q, %q, %d",
				tt.path, b.Name, b.Format, b.Len(), tt.path, tt.format, len(tt.want))
		}
		if diff := cmp.Diff(tt.want, fingerprints(b)); diff != "" {
			t.Errorf("LoadBaseline(%q) fingerprints (-want +got):\n%s", tt.path, diff)
		}
	}
	if _, err := LoadBaseline("testdata/baseline/missing.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadBaseline(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestParseBaselineAccepts(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"no findings", `{"findings": []}`, nil},
		{"null findings", `{"findings": null, "verdict": {"passed": true}}`, nil},
		{"duplicates count once, case folded", `{"findings": [{"fingerprint": "AB"}, {"fingerprint": "ab"}]}`, []string{"ab"}},
		{"sarif without results", `{"version": "2.1.0", "runs": [{"tool": {}}, {"results": null}]}`, nil},
		{"sarif with no runs", `{"version": "2.1.0", "runs": []}`, nil},
	}
	for _, tt := range tests {
		b, err := ParseBaseline("r", []byte(tt.src))
		if err != nil {
			t.Errorf("%s: ParseBaseline(%q): %v", tt.name, tt.src, err)
			continue
		}
		if diff := cmp.Diff(tt.want, fingerprints(b)); diff != "" {
			t.Errorf("%s: ParseBaseline(%q) fingerprints (-want +got):\n%s", tt.name, tt.src, diff)
		}
	}
}

// TestParseBaselineErrors pins every error message: file, field and what is
// wrong.
func TestParseBaselineErrors(t *testing.T) {
	const fpKey = "partialFingerprints.secpipeFingerprint/v1"
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", " \n", `baseline r.json: empty file (want a secpipe json or sarif report)`},
		{"table report", "SEVERITY  RULE\n", `baseline r.json: line 1: not JSON (invalid character 'S' looking for beginning of value); want a secpipe json or sarif report`},
		{"truncated", "{\n  \"findings\": [\n", `baseline r.json: line 3: not JSON (unexpected end of JSON input); want a secpipe json or sarif report`},
		{"array", `[{"fingerprint": "ab"}]`, `baseline r.json: want a JSON object (a secpipe json or sarif report), got a list`},
		{"other object", `{"name": "x"}`, `baseline r.json: want a secpipe json report (with "findings") or a SARIF 2.1.0 log (with "runs")`},
		{"findings object", `{"findings": {"a": 1}}`, `baseline r.json: findings: want a list, got an object`},
		{"finding string", `{"findings": ["ab"]}`, `baseline r.json: findings[0]: want an object, got a string`},
		{"finding null", `{"findings": [null]}`, `baseline r.json: findings[0]: missing`},
		{"missing fingerprint", `{"findings": [{"fingerprint": "a"}, {"fingerprint": "b"}, {"fingerprint": "c"}, {"rule_id": "x"}]}`, `baseline r.json: findings[3].fingerprint: missing`},
		{"number fingerprint", `{"findings": [{"fingerprint": 12}]}`, `baseline r.json: findings[0].fingerprint: want a string, got a number`},
		{"empty fingerprint", `{"findings": [{"fingerprint": ""}]}`, `baseline r.json: findings[0].fingerprint: empty`},
		{"sarif without version", `{"runs": []}`, `baseline r.json: version: missing`},
		{"sarif 2.0", `{"version": "2.0.0", "runs": []}`, `baseline r.json: version: unsupported SARIF version "2.0.0" (want 2.1.0)`},
		{"sarif numeric version", `{"version": 2.1, "runs": []}`, `baseline r.json: version: want a string, got a number`},
		{"runs object", `{"version": "2.1.0", "runs": {}}`, `baseline r.json: runs: want a list, got an object`},
		{"run list", `{"version": "2.1.0", "runs": [[]]}`, `baseline r.json: runs[0]: want an object, got a list`},
		{"results string", `{"version": "2.1.0", "runs": [{"results": "none"}]}`, `baseline r.json: runs[0].results: want a list, got a string`},
		{"result bool", `{"version": "2.1.0", "runs": [{"results": [true]}]}`, `baseline r.json: runs[0].results[0]: want an object, got a boolean`},
		{"not secpipe sarif", `{"version": "2.1.0", "runs": [{}, {"results": [{"ruleId": "x"}]}]}`, `baseline r.json: runs[1].results[0].partialFingerprints: missing`},
		{"no secpipe fingerprint", `{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"primaryLocationLineHash": "x"}}]}]}`, `baseline r.json: runs[0].results[0].` + fpKey + `: missing`},
		{"empty secpipe fingerprint", `{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"secpipeFingerprint/v1": ""}}]}]}`, `baseline r.json: runs[0].results[0].` + fpKey + `: empty`},
	}
	for _, tt := range tests {
		got, err := ParseBaseline("r.json", []byte(tt.src))
		if err == nil {
			t.Errorf("%s: ParseBaseline(%q) = %v, want error %s", tt.name, tt.src, fingerprints(got), tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s: ParseBaseline(%q) = %v\nwant %s", tt.name, tt.src, err, tt.want)
		}
		if !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("%s: ParseBaseline(%q) = %v, want an error wrapping ErrInvalid", tt.name, tt.src, err)
		}
	}
}

func TestBaselineContains(t *testing.T) {
	b := mustBaseline(t, "testdata/baseline/report.json")
	tests := []struct {
		fp   string
		want bool
	}{
		{fpAWS, true},
		{"FAB8B3A72D1E2820978DA612F5A9A6A5", true},
		{fpStripe, false},
		{"", false},
	}
	for _, tt := range tests {
		if got := b.Contains(tt.fp); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.fp, got, tt.want)
		}
	}
	var none *Baseline
	if none.Contains(fpAWS) || none.Len() != 0 {
		t.Errorf("nil Baseline: Contains(%q) = true or Len() = %d, want false and 0", fpAWS, none.Len())
	}
}
