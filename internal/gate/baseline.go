package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// sarifFingerprintKey is the partialFingerprints key under which secpipe's
// SARIF reports carry Finding.Fingerprint.
const sarifFingerprintKey = "secpipeFingerprint/v1"

// Baseline is the set of fingerprints of a previous report. Findings whose
// fingerprint it contains are not new and do not fail a gate. It is
// read-only once parsed; a nil *Baseline contains nothing.
type Baseline struct {
	// Name is the file as given to LoadBaseline or ParseBaseline; baselined
	// findings name it in Suppressed.Source.
	Name string
	// Format is the report format recognised: "json" or "sarif".
	Format string
	// fingerprints holds lower-cased fingerprints.
	fingerprints map[string]struct{}
}

// LoadBaseline reads a previous secpipe report (json or sarif, recognised
// from the content) at path. Read errors keep their cause; parse errors wrap
// pipeline.ErrInvalid and name the file and the bad field, as in
// "baseline r.json: findings[3].fingerprint: missing".
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	return ParseBaseline(path, data)
}

// ParseBaseline parses a previous secpipe report; name is used in error
// messages and as the Baseline's Name. A JSON object with "runs" is read as
// SARIF 2.1.0, one with "findings" as secpipe's json report; anything else
// is an error.
func ParseBaseline(name string, data []byte) (*Baseline, error) {
	b := &Baseline{Name: name, fingerprints: map[string]struct{}{}}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, b.jsonError(data, err)
	}
	var err error
	switch {
	case top["runs"] != nil:
		b.Format = "sarif"
		err = b.sarif(top)
	case top["findings"] != nil:
		b.Format = "json"
		err = b.report(top)
	default:
		err = errors.New(`want a secpipe json report (with "findings") or a SARIF 2.1.0 log (with "runs")`)
	}
	if err != nil {
		return nil, invalidf("baseline %s: %v", name, err)
	}
	return b, nil
}

// Contains reports whether fingerprint (compared case-insensitively) is in
// the baseline. The empty fingerprint never is.
func (b *Baseline) Contains(fingerprint string) bool {
	if b == nil || fingerprint == "" {
		return false
	}
	_, ok := b.fingerprints[strings.ToLower(fingerprint)]
	return ok
}

// Len returns the number of distinct fingerprints in the baseline.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.fingerprints)
}

// jsonError explains why data is not a JSON object.
func (b *Baseline) jsonError(data []byte, err error) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return invalidf("baseline %s: empty file (want a secpipe json or sarif report)", b.Name)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return invalidf("baseline %s: line %d: not JSON (%v); want a secpipe json or sarif report", b.Name, line, syn)
	}
	return invalidf("baseline %s: want a JSON object (a secpipe json or sarif report), got %s", b.Name, jsonKind(bytes.TrimSpace(data)))
}

// report reads {"findings": [{"fingerprint": "..."}, ...]}.
func (b *Baseline) report(top map[string]json.RawMessage) error {
	findings, err := jsonArray(top, "findings", "findings")
	if err != nil {
		return err
	}
	for i, raw := range findings {
		where := fmt.Sprintf("findings[%d]", i)
		f, err := jsonObject(raw, where)
		if err != nil {
			return err
		}
		if err := b.add(f, "fingerprint", where+".fingerprint"); err != nil {
			return err
		}
	}
	return nil
}

// sarif reads {"version": "2.1.0", "runs": [{"results": [{"partialFingerprints":
// {"secpipeFingerprint/v1": "..."}}]}]}.
func (b *Baseline) sarif(top map[string]json.RawMessage) error {
	version, err := jsonString(top, "version", "version")
	if err != nil {
		return err
	}
	if version != "2.1.0" {
		return fmt.Errorf("version: unsupported SARIF version %q (want 2.1.0)", version)
	}
	runs, err := jsonArray(top, "runs", "runs")
	if err != nil {
		return err
	}
	for i, raw := range runs {
		where := fmt.Sprintf("runs[%d]", i)
		run, err := jsonObject(raw, where)
		if err != nil {
			return err
		}
		if err := b.sarifResults(run, where+".results"); err != nil {
			return err
		}
	}
	return nil
}

func (b *Baseline) sarifResults(run map[string]json.RawMessage, where string) error {
	if isNull(run["results"]) {
		return nil // a run without results has nothing to baseline
	}
	results, err := jsonArray(run, "results", where)
	if err != nil {
		return err
	}
	for i, raw := range results {
		at := fmt.Sprintf("%s[%d]", where, i)
		res, err := jsonObject(raw, at)
		if err != nil {
			return err
		}
		fps, err := jsonObject(res["partialFingerprints"], at+".partialFingerprints")
		if err != nil {
			return err
		}
		if err := b.add(fps, sarifFingerprintKey, at+".partialFingerprints."+sarifFingerprintKey); err != nil {
			return err
		}
	}
	return nil
}

// add records the fingerprint under key of obj; where names it for errors.
func (b *Baseline) add(obj map[string]json.RawMessage, key, where string) error {
	fp, err := jsonString(obj, key, where)
	if err != nil {
		return err
	}
	if fp == "" {
		return fmt.Errorf("%s: empty", where)
	}
	b.fingerprints[strings.ToLower(fp)] = struct{}{}
	return nil
}

// jsonObject decodes raw as an object; missing or null is an error.
func jsonObject(raw json.RawMessage, where string) (map[string]json.RawMessage, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("%s: missing", where)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%s: want an object, got %s", where, jsonKind(raw))
	}
	return obj, nil
}

// jsonArray decodes obj[key] as an array; null is an empty array.
func jsonArray(obj map[string]json.RawMessage, key, where string) ([]json.RawMessage, error) {
	raw := obj[key]
	if isNull(raw) {
		return nil, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, fmt.Errorf("%s: want a list, got %s", where, jsonKind(raw))
	}
	return arr, nil
}

// jsonString decodes obj[key] as a string; missing or null is an error.
func jsonString(obj map[string]json.RawMessage, key, where string) (string, error) {
	raw := obj[key]
	if isNull(raw) {
		return "", fmt.Errorf("%s: missing", where)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: want a string, got %s", where, jsonKind(raw))
	}
	return s, nil
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	return raw == nil || string(bytes.TrimSpace(raw)) == "null"
}

// jsonKind names the JSON type of a raw value for messages.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
