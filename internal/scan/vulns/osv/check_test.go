package osv

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rec builds a JSON record for GHSA-x with the given affected entries and
// extra top-level fields.
func rec(extra, affected string) string {
	s := `{"id":"GHSA-x","modified":"2024-01-02T03:04:05Z"`
	if extra != "" {
		s += "," + extra
	}
	if affected != "" {
		s += `,"affected":[` + affected + `]`
	}
	return s + "}"
}

// pkgRange is an affected entry for npm package a with one range.
func pkgRange(rng string) string {
	return `{"package":{"ecosystem":"npm","name":"a"},"ranges":[` + rng + `]}`
}

const goodEntry = `{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}`

// TestParseErrors pins the messages of strict parsing: each names the file
// and the field.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "fixed before introduced",
			in: rec("", goodEntry+","+goodEntry+","+pkgRange(
				`{"type":"SEMVER","events":[{"limit":"3.0.0"},{"fixed":"1.0.0"},{"introduced":"0"}]}`)),
			want: `GHSA-x.json: affected[2].ranges[0].events[1]: "fixed" before any "introduced"`,
		},
		{
			name: "last_affected before introduced",
			in:   rec("", pkgRange(`{"type":"ECOSYSTEM","events":[{"last_affected":"1"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events[0]: "last_affected" before any "introduced"`,
		},
		{
			name: "missing id",
			in:   `{"modified":"2024-01-02T03:04:05Z"}`,
			want: `GHSA-x.json: id: missing`,
		},
		{
			name: "id with white space",
			in:   `{"id":"GHSA x","modified":"2024-01-02T03:04:05Z"}`,
			want: `GHSA-x.json: id: "GHSA x" contains white space or a control character`,
		},
		{
			name: "missing modified",
			in:   `{"id":"GHSA-x"}`,
			want: `GHSA-x.json: modified: missing`,
		},
		{
			name: "bad timestamp",
			in:   `{"id":"GHSA-x","modified":"2024-13-01T00:00:00Z"}`,
			want: `GHSA-x.json: modified: bad timestamp "2024-13-01T00:00:00Z": want RFC 3339, e.g. 2006-01-02T15:04:05Z`,
		},
		{
			name: "date without time",
			in:   rec(`"published":"2024-01-02"`, ""),
			want: `GHSA-x.json: published: bad timestamp "2024-01-02": want RFC 3339, e.g. 2006-01-02T15:04:05Z`,
		},
		{
			name: "year out of range",
			in:   rec(`"withdrawn":"0000-01-01T00:30:00+01:00"`, ""),
			want: `GHSA-x.json: withdrawn: bad timestamp "0000-01-01T00:30:00+01:00": want a year from 1 to 9999 in UTC`,
		},
		{
			name: "bad withdrawn",
			in:   rec(`"withdrawn":"soon"`, ""),
			want: `GHSA-x.json: withdrawn: bad timestamp "soon": want RFC 3339, e.g. 2006-01-02T15:04:05Z`,
		},
		{
			name: "unsupported schema version",
			in:   rec(`"schema_version":"2.0.0"`, ""),
			want: `GHSA-x.json: schema_version: unsupported schema version "2.0.0" (secpipe reads 1.x)`,
		},
		{
			name: "schema version not semver",
			in:   rec(`"schema_version":"1.6"`, ""),
			want: `GHSA-x.json: schema_version: "1.6" is not a SemVer version`,
		},
		{
			name: "unknown range type",
			in:   rec("", pkgRange(`{"type":"SEMVERS","events":[{"introduced":"0"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].type: unknown range type "SEMVERS" (want ECOSYSTEM, SEMVER or GIT)`,
		},
		{
			name: "missing range type",
			in:   rec("", pkgRange(`{"events":[{"introduced":"0"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].type: missing`,
		},
		{
			name: "no events",
			in:   rec("", pkgRange(`{"type":"ECOSYSTEM","events":[]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events: empty (want at least one "introduced")`,
		},
		{
			name: "no introduced",
			in:   rec("", pkgRange(`{"type":"ECOSYSTEM","events":[{"limit":"*"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events: no "introduced" event`,
		},
		{
			name: "two fields in one event",
			in:   rec("", pkgRange(`{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events[0]: "introduced" and "fixed" in one event (want exactly one)`,
		},
		{
			name: "empty event",
			in:   rec("", pkgRange(`{"type":"ECOSYSTEM","events":[{"introduced":"0"},{}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events[1]: empty event (want one of introduced, fixed, last_affected or limit)`,
		},
		{
			name: "fixed and last_affected",
			in:   rec("", pkgRange(`{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2"},{"last_affected":"1"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events: both "fixed" and "last_affected" events (want one kind)`,
		},
		{
			name: "semver with v",
			in:   rec("", pkgRange(`{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"v1.2.3"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events[1]: "fixed" version "v1.2.3" is not SemVer 2.0`,
		},
		{
			name: "git without repo",
			in:   rec("", pkgRange(`{"type":"GIT","events":[{"introduced":"0"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].repo: missing (required for GIT ranges)`,
		},
		{
			name: "abbreviated commit",
			in:   rec("", pkgRange(`{"type":"GIT","repo":"https://example.com/r","events":[{"introduced":"0"},{"fixed":"cb35df940a"}]}`)),
			want: `GHSA-x.json: affected[0].ranges[0].events[1]: "fixed" commit "cb35df940a" is not a full-length hash`,
		},
		{
			name: "missing package name",
			in:   rec("", `{"package":{"ecosystem":"npm"},"versions":["1"]}`),
			want: `GHSA-x.json: affected[0].package.name: missing`,
		},
		{
			name: "missing package",
			in:   rec("", `{"versions":["1"]}`),
			want: "GHSA-x.json: affected[0].package.ecosystem: missing\nGHSA-x.json: affected[0].package.name: missing",
		},
		{
			name: "empty version",
			in:   rec("", `{"package":{"ecosystem":"npm","name":"a"},"versions":["1",""]}`),
			want: `GHSA-x.json: affected[0].versions[1]: empty version`,
		},
		{
			name: "unknown severity type",
			in:   rec(`"severity":[{"type":"CVSS_V5","score":"x"}]`, ""),
			want: `GHSA-x.json: severity[0].type: unknown severity type "CVSS_V5" (want CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu)`,
		},
		{
			name: "bad CVSS metric",
			in:   rec(`"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]`, ""),
			want: `GHSA-x.json: severity[0].score: invalid CVSS_V3 vector "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": invalid metric value`,
		},
		{
			name: "v4 vector in a v3 entry",
			in: rec("", `{"package":{"ecosystem":"npm","name":"a"},"versions":["1"],`+
				`"severity":[{"type":"CVSS_V3","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}`),
			want: `GHSA-x.json: affected[0].severity[0].score: invalid CVSS_V3 vector ` +
				`"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": want a "CVSS:3.0/" or "CVSS:3.1/" prefix`,
		},
		{
			name: "missing score",
			in:   rec(`"severity":[{"type":"CVSS_V2"}]`, ""),
			want: `GHSA-x.json: severity[0].score: missing`,
		},
		{
			name: "bad Ubuntu priority",
			in:   rec(`"severity":[{"type":"Ubuntu","score":"urgent"}]`, ""),
			want: `GHSA-x.json: severity[0].score: unknown Ubuntu priority "urgent" (want negligible, low, medium, high or critical)`,
		},
		{
			name: "empty alias",
			in:   rec(`"aliases":["CVE-1",""]`, ""),
			want: `GHSA-x.json: aliases[1]: empty ID`,
		},
		{
			name: "reference without url",
			in:   rec(`"references":[{"type":"WEB"}]`, ""),
			want: `GHSA-x.json: references[0].url: missing`,
		},
		{
			name: "credit without name",
			in:   rec(`"credits":[{"contact":["x"]}]`, ""),
			want: `GHSA-x.json: credits[0].name: missing`,
		},
		{
			name: "database_specific not an object",
			in:   rec(`"database_specific":"HIGH"`, ""),
			want: `GHSA-x.json: database_specific: want a JSON object`,
		},
		{
			name: "syntax error",
			in:   "{\"id\":\"GHSA-x\",\n\"modified\" \"x\"}",
			want: `GHSA-x.json: invalid JSON at line 2, column 12: invalid character '"' after object key`,
		},
		{
			name: "wrong type",
			in:   rec(`"aliases":"CVE-1"`, ""),
			want: `GHSA-x.json: aliases: want array, got string`,
		},
		{
			name: "wrong nested type",
			in:   rec("", `{"package":{"ecosystem":"npm","name":7}}`),
			want: `GHSA-x.json: affected.package.name: want string, got number`,
		},
		{
			name: "not an object",
			in:   `[{"id":"GHSA-x"}]`,
			want: `GHSA-x.json: want a JSON object, got array`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse("GHSA-x.json", []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tt.in, v, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// TestParseYAMLErrors pins the YAML-specific errors.
func TestParseYAMLErrors(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		bomb += string(i) + ": &" + string(i) + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
			", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "syntax", in: "id: [x\nmodified: y\n", want: "x.yaml: invalid YAML: line 2, column 1: ',' or ']' must be specified"},
		{name: "two documents", in: "id: a\n---\nid: b\n", want: "x.yaml: invalid YAML: more than one document"},
		{name: "empty", in: "# nothing\n", want: "x.yaml: invalid YAML: empty document"},
		{name: "merge key", in: "base: &b {id: a}\nrec:\n  <<: *b\n", want: "x.yaml: invalid YAML: line 3, column 3: merge keys (<<) are not supported"},
		{name: "alias bomb", in: bomb, want: "x.yaml: invalid YAML: document expands to too many nodes"},
		{name: "recursive alias", in: "x: &a [*a]\n", want: "x.yaml: invalid YAML: document nested too deeply"},
		// Refused before parsing: the YAML parser is quadratic in depth.
		{name: "deep flow nesting", in: strings.Repeat("[", 100000), want: "x.yaml: invalid YAML: document nested too deeply"},
		{name: "deep block nesting", in: strings.Repeat("- ", 20000) + "x", want: "x.yaml: invalid YAML: document nested too deeply"},
		{name: "not a mapping", in: "- id: a\n", want: "x.yaml: want a JSON object, got array"},
		{name: "bad field", in: "id: a\nmodified: 2024-01-02\n", want: `x.yaml: modified: bad timestamp "2024-01-02": want RFC 3339, e.g. 2006-01-02T15:04:05Z`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseYAML("x.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("ParseYAML(%q) = %+v, want error %q", tt.in, v, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseYAML(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// TestParseLenient checks what lenient parsing keeps and what it warns
// about: the bad range goes, its sound sibling stays; an entry whose package
// is broken goes; an entry left with nothing goes.
func TestParseLenient(t *testing.T) {
	in := rec(`"aliases":["CVE-1",""],"severity":[{"type":"CVSS_V3","score":"nope"}],"published":"bad"`,
		goodEntry+
			`,{"package":{"ecosystem":"npm"},"versions":["1"]}`+
			`,{"package":{"ecosystem":"PyPI","name":"b"},"ranges":[`+
			`{"type":"GIT","repo":"https://example.com/r","events":[{"introduced":"0"},{"fixed":"cb35df940a"}]},`+
			`{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.41.1"}]}],"versions":["1.0",""]}`+
			`,{"package":{"ecosystem":"PyPI","name":"c"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}`)
	v, warns, err := ParseLenient("GHSA-x.json", []byte(in))
	if err != nil {
		t.Fatalf("ParseLenient = %v, want a record", err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.Error())
	}
	want := []string{
		`GHSA-x.json: published: bad timestamp "bad": want RFC 3339, e.g. 2006-01-02T15:04:05Z`,
		`GHSA-x.json: aliases[1]: empty ID`,
		`GHSA-x.json: severity[0].score: invalid CVSS_V3 vector "nope": want a "CVSS:3.0/" or "CVSS:3.1/" prefix`,
		`GHSA-x.json: affected[1].package.name: missing`,
		`GHSA-x.json: affected[2].ranges[0].events[1]: "fixed" commit "cb35df940a" is not a full-length hash`,
		`GHSA-x.json: affected[2].versions[1]: empty version`,
		`GHSA-x.json: affected[3].ranges[0].events[0]: "fixed" before any "introduced"`,
		`GHSA-x.json: affected[3]: no sound range or version left`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseLenient warnings (-want +got):\n%s", d)
	}
	wantAffected := []Affected{
		{Package: Package{Ecosystem: "npm", Name: "a"}, Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: "0"}, {Fixed: "1.0.0"}}}}},
		{
			Package:  Package{Ecosystem: "PyPI", Name: "b"},
			Ranges:   []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {Fixed: "1.41.1"}}}},
			Versions: []string{"1.0"},
		},
	}
	if d := cmp.Diff(wantAffected, v.Affected); d != "" {
		t.Errorf("ParseLenient affected (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"CVE-1"}, v.Aliases); d != "" {
		t.Errorf("ParseLenient aliases (-want +got):\n%s", d)
	}
	if v.Severities != nil || !v.Published.IsZero() {
		t.Errorf("ParseLenient kept severity %v and published %v, want both dropped", v.Severities, v.Published)
	}
	checkRoundTrip(t, "GHSA-x.json", v)
}

// TestParseLenientFatal checks that problems with a record's identity still
// make lenient parsing skip the record.
func TestParseLenientFatal(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{in: `{"modified":"2024-01-02T03:04:05Z"}`, want: "GHSA-x.json: id: missing"},
		{in: `{"id":"GHSA-x","modified":"x"}`, want: `GHSA-x.json: modified: bad timestamp "x": want RFC 3339, e.g. 2006-01-02T15:04:05Z`},
		{in: rec(`"withdrawn":"x"`, ""), want: `GHSA-x.json: withdrawn: bad timestamp "x": want RFC 3339, e.g. 2006-01-02T15:04:05Z`},
		{in: rec(`"schema_version":"2.0.0"`, ""), want: `GHSA-x.json: schema_version: unsupported schema version "2.0.0" (secpipe reads 1.x)`},
		{in: `{"id":`, want: "GHSA-x.json: invalid JSON at line 1, column 6: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		v, _, err := ParseLenient("GHSA-x.json", []byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseLenient(%q) = %+v, %v, want error %v", tt.in, v, err, tt.want)
		}
	}
}

// TestParseManyProblems checks that a strict error lists at most ten
// problems, then counts the rest.
func TestParseManyProblems(t *testing.T) {
	entries := make([]string, 12)
	for i := range entries {
		entries[i] = `{"package":{"ecosystem":"npm","name":"a"},"versions":[""]}`
	}
	_, err := Parse("GHSA-x.json", []byte(rec("", strings.Join(entries, ","))))
	if err == nil {
		t.Fatal("Parse = nil error, want 12 problems")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 11 || lines[10] != "GHSA-x.json: and 2 more problems" {
		t.Errorf("Parse error has %d lines ending %q, want 11 ending %q", len(lines), lines[len(lines)-1], "GHSA-x.json: and 2 more problems")
	}
}

func TestIsSemver(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0.0.0", true}, {"1.2.3", true}, {"10.20.30", true}, {"1.2.3-rc.1", true}, {"0.0.0-0", true},
		{"1.0.0-alpha-a.b-c", true}, {"1.2.3+build.5", true}, {"1.2.3-0.3.7+exp.sha.5114f85", true},
		{"0.0.0-20200101000000-abcdef012345", true},
		{"", false}, {"1", false}, {"1.2", false}, {"v1.2.3", false}, {"01.2.3", false}, {"1.02.3", false},
		{"1.2.3.4", false}, {"1.2.3-", false}, {"1.2.3-01", false}, {"1.2.3+", false}, {"1.2.3-a..b", false},
		{"1.2.3-a_b", false}, {"1..3", false}, {"1.2.3 ", false}, {"1.2.3+01", true},
	}
	for _, tt := range tests {
		if got := isSemver(tt.in); got != tt.want {
			t.Errorf("isSemver(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIsCommitHash(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0123456789abcdef0123456789abcdef01234567", true},
		{"0123456789ABCDEF0123456789ABCDEF01234567", true},
		{strings.Repeat("a", 64), true},
		{"cb35df940a", false},
		{"0123456789abcdef0123456789abcdef0123456g", false},
		{strings.Repeat("a", 41), false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isCommitHash(tt.in); got != tt.want {
			t.Errorf("isCommitHash(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestParseLenientObjects checks that a free-form field that is not an
// object is dropped alone: its range, entry and record stay.
func TestParseLenientObjects(t *testing.T) {
	in := rec(`"database_specific":[1]`, `{"package":{"ecosystem":"npm","name":"a"},"ecosystem_specific":"x",`+
		`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}],"database_specific":7}]}`)
	v, warns, err := ParseLenient("GHSA-x.json", []byte(in))
	if err != nil {
		t.Fatalf("ParseLenient = %v, want a record", err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.Error())
	}
	want := []string{
		"GHSA-x.json: affected[0].ranges[0].database_specific: want a JSON object",
		"GHSA-x.json: affected[0].ecosystem_specific: want a JSON object",
		"GHSA-x.json: database_specific: want a JSON object",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseLenient warnings (-want +got):\n%s", d)
	}
	wantAffected := []Affected{{Package: Package{Ecosystem: "npm", Name: "a"}, Ranges: []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}}}}}}
	if d := cmp.Diff(wantAffected, v.Affected); d != "" {
		t.Errorf("ParseLenient affected (-want +got):\n%s", d)
	}
}
