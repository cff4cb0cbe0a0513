package gate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// addSeeds adds every file under dir to the fuzz corpus.
func addSeeds(f *testing.F, dir string) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds in %s: %v", dir, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParseIgnoreFile(f *testing.F) {
	addSeeds(f, "testdata/ignore")
	for _, s := range []string{
		"", "ignore:\n", "ignore: []\n", "- a\n", "ignore: [\n", "version: 1\nignore:\n  - {rule: r, reason: x}\n",
		"ignore:\n  - rule: r\n    reason: x\n  - rule: r\n    reason: y\n",
		"ignore:\n  - path: \"**/*.{pem,key}\"\n    fingerprint: 0123456789abcdef0123456789ABCDEF\n    reason: |\n      a\n    expires: 2030-12-31T23:00:00+01:00\n",
		"x: &a {rule: r}\nignore:\n  - *a\n  - <<: *a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(fuzzIgnoreBody)
}

// fuzzIgnoreBody checks ParseIgnoreFile's properties on one input: it
// returns entries with a reason, a matcher and a source, or an error naming
// the file; and what it parsed, written back as YAML, parses to the same
// entries.
func fuzzIgnoreBody(t *testing.T, data []byte) {
	ig, err := ParseIgnoreFile("f", data)
	if err != nil {
		if ig != nil || !strings.HasPrefix(err.Error(), "f:") {
			t.Fatalf("ParseIgnoreFile(%q) = %v, %v; want nil and an error naming the file", data, ig, err)
		}
		return
	}
	for i, e := range ig.Entries {
		if e.Reason == "" || e.Rule+e.Path+e.Fingerprint == "" || !strings.HasPrefix(e.Source, "f:") {
			t.Fatalf("ParseIgnoreFile(%q).Entries[%d] = %+v: no reason, no matcher or no source", data, i, e)
		}
	}
	if !utf8.Valid(data) {
		return // re-rendering changes invalid bytes, so the round trip cannot hold
	}
	again, err := ParseIgnoreFile("g", renderIgnore(ig))
	if err != nil {
		t.Fatalf("ParseIgnoreFile(%q) parsed, but its rendering\n%s\ndid not: %v", data, renderIgnore(ig), err)
	}
	if diff := cmp.Diff(ig.Entries, again.Entries, cmpopts.IgnoreFields(Entry{}, "Source")); diff != "" {
		t.Fatalf("ParseIgnoreFile(%q) does not round-trip (-first +second):\n%s", data, diff)
	}
}

// renderIgnore writes an ignore file back as YAML, one field per line, with
// values as double-quoted strings.
func renderIgnore(ig *IgnoreFile) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nignore:\n")
	for _, e := range ig.Entries {
		b.WriteString("  -")
		for _, kv := range [][2]string{{"rule", e.Rule}, {"path", e.Path}, {"fingerprint", e.Fingerprint}, {"reason", e.Reason}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s: %s\n   ", kv[0], quote(kv[1]))
			}
		}
		if !e.Expires.IsZero() {
			fmt.Fprintf(&b, " expires: %s\n", e.Expires.Format(time.RFC3339Nano))
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// quote renders s as a YAML double-quoted scalar (a JSON string is one).
func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

func FuzzParseBaseline(f *testing.F) {
	addSeeds(f, "testdata/baseline")
	for _, s := range []string{
		"", "[]", "{}", `{"findings": null}`, `{"findings": [{"fingerprint": "AB"}, {}]}`,
		`{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"secpipeFingerprint/v1": "x"}}]}]}`,
		`{"version": "2.1.0", "runs": [{"results": null}, {}]}`, `{"findings": [1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline("r", data)
		if err != nil {
			if b != nil || !strings.HasPrefix(err.Error(), "baseline r: ") {
				t.Fatalf("ParseBaseline(%q) = %v, %v; want nil and an error naming the file", data, b, err)
			}
			return
		}
		fps := fingerprints(b)
		for _, fp := range fps {
			if fp == "" || !b.Contains(fp) || !b.Contains(strings.ToUpper(fp)) {
				t.Fatalf("ParseBaseline(%q): fingerprint %q empty or not contained", data, fp)
			}
		}
		for _, render := range []func([]string) []byte{renderReport, renderSARIF} {
			again, err := ParseBaseline("r", render(fps))
			if err != nil {
				t.Fatalf("ParseBaseline(%q) parsed, but its rendering\n%s\ndid not: %v", data, render(fps), err)
			}
			if diff := cmp.Diff(fps, fingerprints(again)); diff != "" {
				t.Fatalf("ParseBaseline(%q) does not round-trip (-first +second):\n%s", data, diff)
			}
		}
	})
}

// renderReport writes fingerprints as a json report's findings.
func renderReport(fps []string) []byte {
	type finding struct {
		Fingerprint string `json:"fingerprint"`
	}
	doc := struct {
		Findings []finding `json:"findings"`
	}{Findings: []finding{}}
	for _, fp := range fps {
		doc.Findings = append(doc.Findings, finding{fp})
	}
	out, _ := json.Marshal(doc)
	return out
}

// renderSARIF writes fingerprints as a SARIF log with one run.
func renderSARIF(fps []string) []byte {
	results := []map[string]any{}
	for _, fp := range fps {
		results = append(results, map[string]any{"partialFingerprints": map[string]string{sarifFingerprintKey: fp}})
	}
	out, _ := json.Marshal(map[string]any{"version": "2.1.0", "runs": []any{map[string]any{"results": results}}})
	return out
}
