package vex

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse feeds arbitrary bytes to Parse. Properties: no panic; a
// document that parses re-encodes into JSON that parses to an equal
// document; Lookup on it does not panic.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no testdata/*.json seeds (%v)", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(doc(okStatement)))
	f.Add([]byte(doc(`{"vulnerability":"CVE-1","products":["pkg:deb/debian/a?arch=x"],"subcomponents":["b"],"status":"fixed"}`)))
	f.Add([]byte(doc(`{"vulnerability":{"name":"A","aliases":["B"]},"products":[{"hashes":{}},{"@id":"pkg:x"}],"status":"maybe"}`)))
	f.Add([]byte(`{"@context":"https://openvex.dev/ns/v0.0.9","version":"7","statements":[{"vulnerability":null}]}`))
	f.Add([]byte(`{"statements":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.json", data)
		if err != nil {
			if d != nil {
				t.Fatalf("Parse = %+v, %v; want nil document with the error", d, err)
			}
			return
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("json.Marshal(parsed document) = %v", err)
		}
		again, err := Parse("fuzz.json", b)
		if err != nil {
			t.Fatalf("Parse(re-encoded document) = %v\n%s", err, b)
		}
		if diff := cmp.Diff(d, again, timeEqual()); diff != "" {
			t.Fatalf("document changed when re-encoded (-parsed +re-parsed):\n%s", diff)
		}
		for _, st := range d.Statements {
			for _, c := range st.Products {
				d.Lookup([]string{st.Vulnerability.Name}, Product{PURL: c.ID, Name: c.ID, Target: c.Identifiers.PURL})
			}
		}
	})
}
