package vulndb

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// fullRecord sets every field of the OSV schema that osv keeps.
const fullRecord = `{
  "schema_version": "1.6.0", "id": "FULL-1",
  "modified": "2024-01-02T03:04:05.123456789Z", "published": "2023-01-02T03:04:05Z",
  "withdrawn": "2024-02-01T00:00:00+01:00",
  "aliases": ["CVE-1", "GHSA-1"], "related": ["R-1"], "upstream": ["U-1", "U-2"],
  "summary": "sum ✓", "details": "de\ntails",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
  "affected": [{
    "package": {"ecosystem": "Debian:12", "name": "linux", "purl": "pkg:deb/debian/linux"},
    "severity": [{"type": "Ubuntu", "score": "high"}],
    "ranges": [
      {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}], "database_specific": {"r": 1}},
      {"type": "GIT", "repo": "https://example.com/r.git", "events": [{"introduced": "0"},
        {"last_affected": "0123456789012345678901234567890123456789"},
        {"limit": "9999999999999999999999999999999999999999"}]}],
    "versions": ["0.9", "0.9.1"],
    "ecosystem_specific": {"urgency": "low"}, "database_specific": {"source": "x"}
  }, {"package": {"ecosystem": "Go", "name": "m"}, "versions": ["v1.0.0"]}],
  "references": [{"type": "WEB", "url": "https://example.com/a"}],
  "credits": [{"name": "Ann", "contact": ["mailto:a@example.com"], "type": "FINDER"}],
  "database_specific": {"n": [1, 2]}
}`

// diffRecords compares records, reading raw JSON by value and treating
// nil and empty lists alike.
func diffRecords(a, b *osv.Vulnerability) string {
	nonEmpty := func(x, y json.RawMessage) bool { return len(x) > 0 && len(y) > 0 }
	return cmp.Diff(a, b, cmpopts.EquateEmpty(), cmp.FilterValues(nonEmpty, cmp.Transformer("json", func(m json.RawMessage) any {
		var v any
		if err := json.Unmarshal(m, &v); err != nil {
			return string(m)
		}
		return v
	})))
}

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{name: "every field", json: fullRecord},
		{name: "minimal", json: `{"id":"M","modified":"0001-01-01T00:00:00Z"}`},
		{name: "before 1970", json: `{"id":"M","modified":"1969-12-31T23:59:59.5Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := osv.ParseJSON(tt.name, []byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRecord(encodeRecord(nil, v))
			if err != nil {
				t.Fatalf("decodeRecord(encodeRecord(%s)) = %v", tt.name, err)
			}
			if diff := diffRecords(v, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if !got.Modified.Equal(v.Modified) || got.Modified.IsZero() != v.Modified.IsZero() || got.Modified.Location() != time.UTC {
				t.Errorf("Modified = %v, want %v in UTC", got.Modified, v.Modified)
			}
		})
	}
}

// TestRecordCodecCoversEveryField fails when osv.Vulnerability changes
// shape: extend encodeRecord and decodeRecord, then this list.
func TestRecordCodecCoversEveryField(t *testing.T) {
	want := []string{
		"SchemaVersion", "ID", "Modified", "Published", "Withdrawn", "Aliases", "Related", "Upstream",
		"Summary", "Details", "Severities", "Severities[].Type", "Severities[].Score",
		"Affected", "Affected[].Package", "Affected[].Package.Ecosystem", "Affected[].Package.Name",
		"Affected[].Package.Purl", "Affected[].Severities", "Affected[].Severities[].Type",
		"Affected[].Severities[].Score", "Affected[].Ranges", "Affected[].Ranges[].Type",
		"Affected[].Ranges[].Repo", "Affected[].Ranges[].Events", "Affected[].Ranges[].Events[].Introduced",
		"Affected[].Ranges[].Events[].Fixed", "Affected[].Ranges[].Events[].LastAffected",
		"Affected[].Ranges[].Events[].Limit", "Affected[].Ranges[].DatabaseSpecific",
		"Affected[].Versions", "Affected[].EcosystemSpecific", "Affected[].DatabaseSpecific",
		"References", "References[].Type", "References[].URL",
		"Credits", "Credits[].Name", "Credits[].Contact", "Credits[].Type", "DatabaseSpecific",
	}
	var got []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			got = append(got, prefix+f.Name)
			ft := f.Type
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				walk(prefix+f.Name+"[].", ft.Elem())
			} else if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
				walk(prefix+f.Name+".", ft)
			}
		}
	}
	walk("", reflect.TypeFor[osv.Vulnerability]())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("osv.Vulnerability fields changed; update record.go (-known +now):\n%s", diff)
	}
}

func TestDecodeRecordDamaged(t *testing.T) {
	v, err := osv.ParseJSON("full", []byte(fullRecord))
	if err != nil {
		t.Fatal(err)
	}
	enc := encodeRecord(nil, v)
	for n := range len(enc) {
		if _, err := decodeRecord(bytes.Clone(enc[:n])); err == nil {
			t.Errorf("decodeRecord(first %d of %d bytes) succeeded", n, len(enc))
		}
	}
	if _, err := decodeRecord(append(bytes.Clone(enc), 0)); err == nil {
		t.Error("decodeRecord(trailing byte) succeeded")
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder: it must not
// panic, and what it accepts must encode back to an equal record.
func FuzzDecodeRecord(f *testing.F) {
	for _, j := range []string{fullRecord, `{"id":"M","modified":"2024-01-01T00:00:00Z"}`} {
		v, err := osv.ParseJSON("seed", []byte(j))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(encodeRecord(nil, v))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeRecord(bytes.Clone(data))
		if err != nil {
			return
		}
		again, err := decodeRecord(encodeRecord(nil, v))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if diff := diffRecords(v, again); diff != "" {
			t.Errorf("re-encoded record differs (-first +second):\n%s", diff)
		}
	})
}

// goZipRecords reads the records of an all.zip, raw.
func goZipRecords(b testing.TB, path string) [][]byte {
	z, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer z.Close()
	var out [][]byte
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestRecordRoundTripGoVulnDB round-trips every record of the Go database,
// comparing JSON encodings.
func TestRecordRoundTripGoVulnDB(t *testing.T) {
	raws := goZipRecords(t, filepath.Join(sharedData(t), "go-vulndb", "all.zip"))
	for i, raw := range raws {
		if raceEnabled && i%10 != 0 {
			continue
		}
		v, _, err := osv.ParseLenient("go", raw)
		if err != nil {
			continue
		}
		got, err := decodeRecord(encodeRecord(nil, v))
		if err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		want, err1 := json.Marshal(v)
		back, err2 := json.Marshal(got)
		if err1 != nil || err2 != nil || !bytes.Equal(want, back) {
			t.Fatalf("%s round trip (-want +got):\n%s", v.ID, diffRecords(v, got))
		}
	}
}

// BenchmarkDecodeRecord compares reading every record of the Go database
// from the binary form with osv.ParseJSON of its JSON encoding.
func BenchmarkDecodeRecord(b *testing.B) {
	raws := goZipRecords(b, filepath.Join(sharedData(b), "go-vulndb", "all.zip"))
	var bins, jsons [][]byte
	for _, raw := range raws {
		v, _, err := osv.ParseLenient("go", raw)
		if err != nil {
			b.Fatal(err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		bins, jsons = append(bins, encodeRecord(nil, v)), append(jsons, j)
	}
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range bins {
				if _, err := decodeRecord(bytes.Clone(r)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range jsons {
				if _, err := osv.ParseJSON("go", r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
