package osv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every testdata file ending in ext to the fuzz corpus.
func addSeeds(f *testing.F, ext string) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no testdata/*%s seeds (%v)", ext, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse feeds arbitrary bytes to the JSON parser. Properties: no
// panic; a record that parses strictly re-encodes into JSON that parses to
// the same record; lenient parsing agrees with strict parsing on sound
// records, and what it keeps of others parses strictly.
func FuzzParse(f *testing.F) {
	addSeeds(f, ".json")
	f.Add([]byte(rec(`"withdrawn":"2024-02-01T00:00:00.5+01:00","aliases":["A","B"]`,
		goodEntry+`,{"package":{"ecosystem":"npm"},"versions":["1",""]}`)))
	f.Add([]byte(`{"id":"X","modified":"2024-01-02T03:04:05Z","affected":[{"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"}]}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkProperties(t, "fuzz.json", data, ParseJSON)
	})
}

// FuzzParseYAML is FuzzParse for YAML input.
func FuzzParseYAML(f *testing.F) {
	addSeeds(f, ".yaml")
	f.Add([]byte("id: X\nmodified: 2024-01-02T03:04:05Z\naffected:\n- package: {ecosystem: PyPI, name: a}\n" +
		"  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n  versions: [1.0, 010, ~, yes]\n"))
	f.Add([]byte("id: &i X\nmodified: 2024-01-02T03:04:05Z\naliases: [*i, !!str 1.0]\ndatabase_specific: {n: 0x10, f: .inf}\n"))
	f.Add([]byte("id: X\n---\nid: Y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkProperties(t, "fuzz.yaml", data, ParseYAML)
	})
}

func checkProperties(t *testing.T, name string, data []byte, parse func(string, []byte) (*Vulnerability, error)) {
	strict, err := parse(name, data)
	lenient, warns, lerr := ParseLenient(name, data)
	if err == nil {
		checkRoundTrip(t, name, strict)
		if lerr != nil || len(warns) > 0 {
			t.Fatalf("ParseLenient = %v, %v; strict parsing found no problem", warns, lerr)
		}
		if d := diffRecords(strict, lenient); d != "" {
			t.Fatalf("lenient and strict records differ (-strict +lenient):\n%s", d)
		}
		return
	}
	if lerr != nil {
		return
	}
	if len(warns) == 0 {
		t.Fatalf("ParseLenient kept the record without a warning; strict parsing said %v", err)
	}
	b, merr := json.Marshal(lenient)
	if merr != nil {
		t.Fatalf("json.Marshal(lenient record) = %v", merr)
	}
	again, err := ParseJSON(name, b)
	if err != nil {
		t.Fatalf("ParseJSON(lenient record) = %v, want what lenient parsing kept to be valid\n%s", err, b)
	}
	if d := diffRecords(lenient, again); d != "" {
		t.Fatalf("lenient record changed when re-parsed (-kept +re-parsed):\n%s", d)
	}
}
