package gate

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestLoadIgnoreFile(t *testing.T) {
	const name = "testdata/ignore/valid.secpipeignore"
	got, err := LoadIgnoreFile(name)
	if err != nil {
		t.Fatalf("LoadIgnoreFile(%q): %v", name, err)
	}
	want := &IgnoreFile{Name: name, Entries: []Entry{
		{
			Rule: "aws-access-key-id", Path: "test/fixtures/**", Reason: "fixture keys, revoked 2026-10",
			Expires: time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC), Source: name + ":4",
		},
		{Fingerprint: fpGitHub, Reason: "example token in the docs, never valid", Source: name + ":8"},
		{
			Path: "vendor/**/*.pem", Reason: "third-party test certificates",
			Expires: time.Date(2026, 6, 14, 16, 0, 0, 0, time.UTC), Source: name + ":12",
		},
		{Rule: "generic-api-key", Reason: "false positive: a hash, not a key", Source: name + ":16"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadIgnoreFile(%q) (-want +got):\n%s", name, diff)
	}
}

func TestLoadIgnoreFileErrors(t *testing.T) {
	const bad = "testdata/ignore/bad-date.secpipeignore"
	_, err := LoadIgnoreFile(bad)
	want := bad + `:5: ignore[0].expires: bad date "2027-02-30" (want YYYY-MM-DD or RFC 3339)`
	if err == nil || err.Error() != want || !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("LoadIgnoreFile(%q) = %v, want %s (wrapping ErrInvalid)", bad, err, want)
	}
	const missing = "testdata/ignore/missing.secpipeignore"
	if _, err := LoadIgnoreFile(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadIgnoreFile(%q) = %v, want an error wrapping fs.ErrNotExist", missing, err)
	}
}

func TestParseIgnoreFileEmpty(t *testing.T) {
	for _, src := range []string{
		"",
		"# nothing yet\n",
		"\n\n",
		"---\n",
		"version: 1\n",
		"ignore:\n",
		"ignore: []\n",
		"version: 1\nignore: ~\n",
	} {
		got, err := ParseIgnoreFile(".secpipeignore", []byte(src))
		if err != nil || got == nil || len(got.Entries) != 0 {
			t.Errorf("ParseIgnoreFile(%q) = %+v, %v; want no entries and no error", src, got, err)
		}
	}
}

func TestParseIgnoreFileValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Entry
	}{
		{
			name: "fingerprint of digits only stays a string",
			src:  "ignore:\n  - fingerprint: 12345678901234567890123456789012\n    reason: r\n",
			want: Entry{Fingerprint: "12345678901234567890123456789012", Reason: "r", Source: "f:2"},
		},
		{
			name: "fingerprint that reads as a float stays a string",
			src:  "ignore:\n  - fingerprint: 1234567890123456789012345678901e\n    reason: r\n",
			want: Entry{Fingerprint: "1234567890123456789012345678901e", Reason: "r", Source: "f:2"},
		},
		{
			name: "literal block reason, quoted rule, explicit string tag",
			src:  "ignore:\n  - rule: 'aws-access-key-id'\n    path: !!str 2024/**\n    reason: |\n      rotated\n      on 2026-03-01\n",
			want: Entry{Rule: "aws-access-key-id", Path: "2024/**", Reason: "rotated\non 2026-03-01", Source: "f:2"},
		},
		{
			name: "single-field entry reads as a mapping",
			src:  "ignore:\n- {rule: true, reason: yes}\n",
			want: Entry{Rule: "true", Reason: "yes", Source: "f:2"},
		},
		{
			name: "RFC 3339 with fraction and offset",
			src:  "ignore:\n  - rule: r\n    reason: r\n    expires: 2027-01-31T10:00:00.5-05:00\n",
			want: Entry{Rule: "r", Reason: "r", Expires: time.Date(2027, 1, 31, 15, 0, 0, 5e8, time.UTC), Source: "f:2"},
		},
	}
	for _, tt := range tests {
		got, err := ParseIgnoreFile("f", []byte(tt.src))
		if err != nil {
			t.Errorf("%s: ParseIgnoreFile(%q): %v", tt.name, tt.src, err)
			continue
		}
		if diff := cmp.Diff([]Entry{tt.want}, got.Entries); diff != "" {
			t.Errorf("%s: ParseIgnoreFile(%q) entries (-want +got):\n%s", tt.name, tt.src, diff)
		}
	}
}

// TestParseIgnoreFileErrors pins every error message: file, line, field and
// what is wrong.
func TestParseIgnoreFileErrors(t *testing.T) {
	const e0 = "ignore:\n  - rule: r\n" // the head of a file whose first entry is at line 2
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"syntax", "ignore: [\n", `.secpipeignore:1: sequence end token ']' not found`},
		{"two documents", "ignore: []\n---\nignore: []\n", `.secpipeignore:3: want one YAML document, found a second one`},
		{"top is a list", "- rule: r\n", `.secpipeignore:1: want a mapping with an "ignore" list, got a list`},
		{"top is a string", "ignore everything\n", `.secpipeignore:1: want a mapping with an "ignore" list, got a string`},
		{"unknown top field", "version: 1\nignores: []\n", `.secpipeignore:2: unknown field "ignores" (want version or ignore)`},
		{"repeated top field", "ignore: []\nversion: 1\nignore: []\n", `.secpipeignore:3: ignore: repeated field (first at line 1)`},
		{"version 2", "version: 2\n", `.secpipeignore:1: version: unsupported version "2" (want 1)`},
		{"version list", "version: [1]\n", `.secpipeignore:1: version: want 1, got a list`},
		{"ignore mapping", "ignore:\n  rule: r\n", `.secpipeignore:2: ignore: want a list of entries, got a mapping`},
		{"ignore string", "ignore: all\n", `.secpipeignore:1: ignore: want a list of entries, got a string`},
		{"entry string", "ignore:\n  - aws-access-key-id\n", `.secpipeignore:2: ignore[0]: want a mapping with rule, package, path, fingerprint, reason, expires; got a string`},
		{"entry null", "ignore:\n  -\n", `.secpipeignore:2: ignore[0]: want a mapping with rule, package, path, fingerprint, reason, expires; got null`},
		{"unknown field", e0 + "    reason: x\n    rul: r\n", `.secpipeignore:4: ignore[0].rul: unknown field (want rule, package, path, fingerprint, reason or expires)`},
		{"repeated field", e0 + "    reason: x\n    rule: s\n", `.secpipeignore:4: ignore[0].rule: repeated field (first at line 2)`},
		{"missing reason", e0, `.secpipeignore:2: ignore[0].reason: missing (say why the findings may be ignored)`},
		{"empty reason", e0 + "    reason: \"  \"\n", `.secpipeignore:3: ignore[0].reason: empty (give a value or drop the field)`},
		{"null reason", e0 + "    reason:\n", `.secpipeignore:3: ignore[0].reason: empty (give a value or drop the field)`},
		{"no matcher", "ignore:\n  - reason: because\n    expires: 2027-01-01\n", `.secpipeignore:2: ignore[0]: no matcher (give rule, package, path or fingerprint)`},
		{"empty entry", "ignore:\n  - {}\n", `.secpipeignore:2: ignore[0]: no matcher (give rule, package, path or fingerprint)`},
		{"empty rule", "ignore:\n  - rule: \"\"\n    reason: x\n", `.secpipeignore:2: ignore[0].rule: empty (give a value or drop the field)`},
		{"rule list", "ignore:\n  - rule: [a, b]\n    reason: x\n", `.secpipeignore:2: ignore[0].rule: want a string, got a list`},
		{"reason mapping", e0 + "    reason: {why: x}\n", `.secpipeignore:3: ignore[0].reason: want a string, got a mapping`},
		{"alias", "x: &r aws\nignore:\n  - rule: *r\n    reason: x\n", `.secpipeignore:1: unknown field "x" (want version or ignore)`},
		{"alias value", "ignore:\n  - rule: *r\n    reason: x\n", `.secpipeignore:2: ignore[0].rule: want a string, got an anchor or alias (not supported)`},
		{"other tag", "ignore:\n  - rule: !!binary YWJj\n    reason: x\n", `.secpipeignore:2: ignore[0].rule: want a string, got a tagged value (tags are not supported)`},
		{"bad glob", e0 + "    path: \"src/[a-\"\n    reason: x\n", `.secpipeignore:3: ignore[0].path: bad glob "src/[a-" (check its brackets, braces and backslashes)`},
		{"absolute path", e0 + "    path: /etc/**\n    reason: x\n", `.secpipeignore:3: ignore[0].path: "/etc/**": paths are relative to the scanned root (drop the leading "/")`},
		{"dot path", e0 + "    path: ./test/**\n    reason: x\n", `.secpipeignore:3: ignore[0].path: "./test/**": paths are relative to the scanned root (drop the leading "./")`},
		{"short fingerprint", e0 + "    fingerprint: 3f2a9c\n    reason: x\n", `.secpipeignore:3: ignore[0].fingerprint: want 32 hex digits as printed in reports, got "3f2a9c"`},
		{"non-hex fingerprint", e0 + "    fingerprint: 3f2a9c3f2a9c3f2a9c3f2a9c3f2a9cxx\n    reason: x\n", `.secpipeignore:3: ignore[0].fingerprint: want 32 hex digits as printed in reports, got "3f2a9c3f2a9c3f2a9c3f2a9c3f2a9cxx"`},
		{"bad date", e0 + "    reason: x\n    expires: 31/01/2027\n", `.secpipeignore:4: ignore[0].expires: bad date "31/01/2027" (want YYYY-MM-DD or RFC 3339)`},
		{"impossible date", e0 + "    reason: x\n    expires: 2027-02-29\n", `.secpipeignore:4: ignore[0].expires: bad date "2027-02-29" (want YYYY-MM-DD or RFC 3339)`},
		{"date as number", e0 + "    reason: x\n    expires: 20270131\n", `.secpipeignore:4: ignore[0].expires: bad date "20270131" (want YYYY-MM-DD or RFC 3339)`},
		{"date without zone", e0 + "    reason: x\n    expires: 2027-01-31T10:00:00\n", `.secpipeignore:4: ignore[0].expires: bad date "2027-01-31T10:00:00" (want YYYY-MM-DD or RFC 3339)`},
		{
			name: "duplicate entry",
			src:  e0 + "    path: a/**\n    reason: x\n  - {rule: s, reason: y}\n  - {path: a/**, rule: r, reason: z, expires: 2030-01-01}\n",
			want: `.secpipeignore:6: ignore[2]: duplicate of the entry at .secpipeignore:2 (same rule, package, path and fingerprint)`,
		},
		{"second entry", "ignore:\n  - {rule: r, reason: x}\n  - {rule: s}\n", `.secpipeignore:3: ignore[1].reason: missing (say why the findings may be ignored)`},
	}
	for _, tt := range tests {
		got, err := ParseIgnoreFile(".secpipeignore", []byte(tt.src))
		if err == nil {
			t.Errorf("%s: ParseIgnoreFile(%q) = %+v, want error %s", tt.name, tt.src, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s: ParseIgnoreFile(%q) = %v\nwant %s", tt.name, tt.src, err, tt.want)
		}
		if !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("%s: ParseIgnoreFile(%q) = %v, want an error wrapping ErrInvalid", tt.name, tt.src, err)
		}
	}
}

func TestIgnoreFileExpiredAndUnused(t *testing.T) {
	ig := mustIgnore(t, `ignore:
  - {rule: a, reason: lapsed and used, expires: 2026-06-14}
  - {rule: b, reason: lapsed and unused, expires: 2026-06-14}
  - {rule: c, reason: holds and used, expires: 2026-06-15}
  - {rule: d, reason: holds and unused}
  - {path: "x/**", reason: used by an inline-suppressed finding}
`)
	fs := []pipeline.Finding{secret("a", "a", fpOther, 0), secret("c", "c", fpOther, 0), secret("z", "x/y", fpOther, 0)}
	fs[2].Suppressed = &pipeline.Suppression{By: "inline"}
	sources := func(es []Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Source)
		}
		return out
	}
	if got, want := sources(ig.Expired(now)), []string{".secpipeignore:2", ".secpipeignore:3"}; !cmp.Equal(got, want) {
		t.Errorf("Expired(%v) = %v, want %v", now, got, want)
	}
	if got, want := sources(ig.Unused(fs)), []string{".secpipeignore:3", ".secpipeignore:5"}; !cmp.Equal(got, want) {
		t.Errorf("Unused = %v, want %v", got, want)
	}
	var none *IgnoreFile
	if none.Expired(now) != nil || none.Unused(fs) != nil {
		t.Errorf("nil IgnoreFile: Expired or Unused returned entries")
	}
}
