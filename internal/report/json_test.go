package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// TestJSONRoundTrip decodes the JSON report back and checks that every
// finding survives intact, in table order, with the gate's decision.
func TestJSONRoundTrip(t *testing.T) {
	for name, r := range fixtures(t) {
		var doc jsonReport
		dec := json.NewDecoder(bytes.NewReader(render(t, "json", Options{}, r)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: decode json report: %v", name, err)
		}
		es, err := entries(r)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]pipeline.Finding, 0, len(es))
		got := make([]pipeline.Finding, 0, len(doc.Findings))
		for i, e := range es {
			want = append(want, *e.f)
			if i < len(doc.Findings) && doc.Findings[i].Blocking != e.blocking {
				t.Errorf("%s: findings[%d] (%s) blocking = %v, want %v", name, i, e.f.RuleID, doc.Findings[i].Blocking, e.blocking)
			}
		}
		for _, f := range doc.Findings {
			if f.Fingerprint == "" {
				t.Errorf("%s: finding %s has no fingerprint", name, f.RuleID)
			}
			got = append(got, f.Finding)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: findings after round trip (-want +got):\n%s", name, diff)
		}
		if doc.Version != jsonVersion || doc.Summary.Total != len(r.Findings) {
			t.Errorf("%s: version %d, total %d, want %d, %d", name, doc.Version, doc.Summary.Total, jsonVersion, len(r.Findings))
		}
		if (doc.Verdict == nil) != (r.Verdict == nil) {
			t.Errorf("%s: verdict = %+v, want present = %v", name, doc.Verdict, r.Verdict != nil)
		}
	}
}

func TestJSONEmptyListsAreArrays(t *testing.T) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(render(t, "json", Options{}, emptyReport()), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"findings", "warnings"} {
		if got := string(doc[key]); got != "[]" {
			t.Errorf("empty report %q = %s, want []", key, got)
		}
	}
	ungated := fixtureReport(t)
	ungated.Verdict = nil
	if err := json.Unmarshal(render(t, "json", Options{}, ungated), &doc); err != nil {
		t.Fatal(err)
	}
	if got := string(doc["verdict"]); got != "null" {
		t.Errorf("report without a gate: verdict = %s, want null", got)
	}
}
