package osv

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// fullRecord is testdata/OSV-TEST-0001.{json,yaml} as parsed.
func fullRecord() *Vulnerability {
	return &Vulnerability{
		SchemaVersion: "1.6.0",
		ID:            "OSV-TEST-0001",
		Modified:      time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
		Published:     time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Aliases:       []string{"CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"},
		Related:       []string{"CVE-2099-0002"},
		Upstream:      []string{"CVE-2099-0003"},
		Summary:       "Example record that uses every field of the schema",
		Details:       "A made-up vulnerability for secpipe's tests.\n\nIt affects three packages.",
		Severities: []SeverityScore{
			{Type: CVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			{Type: CVSSv4, Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
		},
		Affected: []Affected{
			{
				Package: Package{Ecosystem: "Go", Name: "example.com/mod", Purl: "pkg:golang/example.com/mod"},
				Ranges: []Range{{Type: RangeSemver, Events: []Event{
					{Introduced: "0"}, {Fixed: "1.2.3"}, {Introduced: "2.0.0-rc.1"}, {Fixed: "2.0.1"},
				}}},
				EcosystemSpecific: json.RawMessage(`{"imports":[{"path":"example.com/mod/pkg","symbols":["Parse"]}]}`),
			},
			{
				Package:    Package{Ecosystem: "PyPI", Name: "example-lib"},
				Severities: []SeverityScore{{Type: CVSSv2, Score: "AV:N/AC:L/Au:N/C:P/I:P/A:P"}},
				Ranges: []Range{{
					Type:             RangeEcosystem,
					Events:           []Event{{Introduced: "0"}, {LastAffected: "1.10"}},
					DatabaseSpecific: json.RawMessage(`{"source":"made up"}`),
				}},
				Versions:         []string{"1.0", "1.10", "010", "yes"},
				DatabaseSpecific: json.RawMessage(`{"score":1.5,"reviewed":true}`),
			},
			{
				Package: Package{Ecosystem: "Debian:9", Name: "linux"},
				Ranges: []Range{
					{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {Fixed: "4.9.110-3+deb9u5"}}},
					{Type: RangeGit, Repo: "https://git.example.com/linux.git", Events: []Event{
						{Introduced: "0"}, {Limit: "0123456789abcdef0123456789abcdef01234567"},
					}},
				},
				EcosystemSpecific: json.RawMessage(`{"urgency":"high"}`),
			},
		},
		References: []Reference{
			{Type: "ADVISORY", URL: "https://example.com/advisories/OSV-TEST-0001"},
			{Type: "FIX", URL: "https://example.com/commit/0123456789abcdef"},
		},
		Credits:          []Credit{{Name: "A. Finder", Contact: []string{"mailto:finder@example.com"}, Type: "FINDER"}},
		DatabaseSpecific: json.RawMessage(`{"severity":"HIGH"}`),
	}
}

// TestParseFull parses a record that uses every field, in JSON and in YAML
// (where unquoted 1.10, 010 and yes must stay strings, and numbers inside
// database_specific stay numbers).
func TestParseFull(t *testing.T) {
	for _, name := range []string{"OSV-TEST-0001.json", "OSV-TEST-0001.yaml"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(name, data)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", name, err)
			}
			if d := diffRecords(fullRecord(), got); d != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", name, d)
			}
			checkRoundTrip(t, name, got)
		})
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Format
	}{
		{name: "a.json", data: "id: x", want: FormatJSON},
		{name: "a.yaml", data: "{}", want: FormatYAML},
		{name: "a.YML", data: "{}", want: FormatYAML},
		{name: "GHSA-x", data: " \n\t{\"id\": 1}", want: FormatJSON},
		{name: "GHSA-x", data: "\ufeff{}", want: FormatJSON},
		{name: "GHSA-x", data: "id: x", want: FormatYAML},
		{name: "GHSA-x", data: "", want: FormatYAML},
	}
	for _, tt := range tests {
		if got := DetectFormat(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %v, want %v", tt.name, tt.data, got, tt.want)
		}
	}
}

// TestParseNormalises checks the values a record can spell several ways:
// empty lists, null objects and non-UTC times.
func TestParseNormalises(t *testing.T) {
	in := `{"id":"X-1","modified":"2024-01-02T05:04:05+02:00","aliases":[],"severity":null,
		"database_specific":null,"affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1"],
		"ecosystem_specific":null}]}`
	got, err := Parse("X-1.json", []byte(in))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := &Vulnerability{
		ID:       "X-1",
		Modified: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Affected: []Affected{{Package: Package{Ecosystem: "npm", Name: "a"}, Versions: []string{"1"}}},
	}
	if d := diffRecords(want, got); d != "" {
		t.Errorf("Parse(%s) mismatch (-want +got):\n%s", in, d)
	}
	if got.Modified.Location() != time.UTC {
		t.Errorf("Parse(%s).Modified in %v, want UTC", in, got.Modified.Location())
	}
}

// TestParseBOM checks that a byte order mark does not hide a record.
func TestParseBOM(t *testing.T) {
	for _, in := range []string{"\ufeff{\"id\":\"X-1\",\"modified\":\"2024-01-02T03:04:05Z\"}", "\ufeffid: X-1\nmodified: 2024-01-02T03:04:05Z\n"} {
		if v, err := Parse("X-1", []byte(in)); err != nil || v.ID != "X-1" {
			t.Errorf("Parse(%q) = %+v, %v, want record X-1", in, v, err)
		}
	}
}

func TestParseWithdrawn(t *testing.T) {
	v, err := Parse("X-1.json", []byte(`{"id":"X-1","modified":"2024-01-02T03:04:05Z","withdrawn":"2024-02-01T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !v.IsWithdrawn() {
		t.Errorf("IsWithdrawn() = false, want true")
	}
	v, err = Parse("X-1.json", []byte(`{"id":"X-1","modified":"2024-01-02T03:04:05Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if v.IsWithdrawn() {
		t.Errorf("IsWithdrawn() = true, want false")
	}
}

// TestFieldError checks that errors match pipeline.ErrInvalid and expose
// the file and field.
func TestFieldError(t *testing.T) {
	_, err := Parse("GHSA-x.json", []byte(`{"id":"GHSA-x","modified":"yesterday"}`))
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Parse error %v does not match pipeline.ErrInvalid", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != "GHSA-x.json" || fe.Field != "modified" {
		t.Fatalf("Parse error %#v, want a FieldError for GHSA-x.json, field modified", err)
	}
	var perr *time.ParseError
	if !errors.As(err, &perr) {
		t.Errorf("Parse error %v does not unwrap to the time.ParseError", err)
	}
}

func TestEventKind(t *testing.T) {
	tests := []struct {
		e                 Event
		kind, wantVersion string
	}{
		{e: Event{Introduced: "1"}, kind: "introduced", wantVersion: "1"},
		{e: Event{Fixed: "2"}, kind: "fixed", wantVersion: "2"},
		{e: Event{LastAffected: "3"}, kind: "last_affected", wantVersion: "3"},
		{e: Event{Limit: "*"}, kind: "limit", wantVersion: "*"},
		{e: Event{}},
	}
	for _, tt := range tests {
		if k, v := tt.e.Kind(); k != tt.kind || v != tt.wantVersion {
			t.Errorf("%+v.Kind() = %q, %q, want %q, %q", tt.e, k, v, tt.kind, tt.wantVersion)
		}
	}
}
