package report

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// goldenExt is the file extension of a format's golden files.
func goldenExt(format string) string {
	if format == formatJUnit {
		return "junit.xml"
	}
	return format
}

func TestGolden(t *testing.T) {
	for name, r := range fixtures(t) {
		for _, format := range Formats() {
			t.Run(name+"/"+format, func(t *testing.T) {
				golden(t, name+"."+goldenExt(format), render(t, format, Options{}, r))
			})
		}
	}
	t.Run("full/table-color", func(t *testing.T) {
		golden(t, "full.color.table", render(t, "table", Options{Color: true}, fixtureReport(t)))
	})
}

func TestFormatsAllConstruct(t *testing.T) {
	for _, f := range Formats() {
		for _, name := range []string{f, strings.ToUpper(f), " " + f + " "} {
			if _, err := New(name, Options{}); err != nil {
				t.Errorf("New(%q) = %v, want a writer", name, err)
			}
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	for _, name := range []string{"", "xml", "sarif2", "cyclonedx"} {
		w, err := New(name, Options{})
		if !errors.Is(err, pipeline.ErrInvalid) || w != nil {
			t.Errorf("New(%q) = %v, %v, want nil, error wrapping ErrInvalid", name, w, err)
			continue
		}
		for _, f := range Formats() {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("New(%q) error %q does not list format %q", name, err, f)
			}
		}
	}
}

var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTableColorKeepsAlignment checks that colour adds escape codes and
// nothing else: without them the output is exactly the plain table.
func TestTableColorKeepsAlignment(t *testing.T) {
	for name, r := range fixtures(t) {
		plain := render(t, "table", Options{}, r)
		color := render(t, "table", Options{Color: true}, r)
		if bytes.ContainsRune(plain, 0x1b) {
			t.Errorf("%s: plain table contains an escape character", name)
		}
		if !bytes.ContainsRune(color, 0x1b) {
			t.Errorf("%s: coloured table has no colour", name)
		}
		if diff := cmp.Diff(string(plain), ansiSeq.ReplaceAllString(string(color), "")); diff != "" {
			t.Errorf("%s: coloured table without escapes differs from plain (-plain +stripped):\n%s", name, diff)
		}
	}
}

func TestTableStatus(t *testing.T) {
	out := string(render(t, "table", Options{}, fixtureReport(t)))
	tests := []struct {
		rule, status string
	}{
		{rule: "aws-access-key-id [G1]", status: "BLOCKING"},
		{rule: "aws-secret-access-key [G1]", status: "BLOCKING"},
		{rule: "github-pat", status: "BLOCKING"},
		{rule: "slack-bot-token", status: "ignored: placeholder in the setup guide"},
		{rule: "generic-api-key", status: "baseline"},
		{rule: "private-key", status: "BLOCKING (ignore expired)"},
		{rule: "CVE-2018-17182", status: "BLOCKING"},
		{rule: "ssh-private-key-file", status: "ok"},
	}
	for _, tt := range tests {
		re := regexp.MustCompile(`(?m)^\S+\s+` + regexp.QuoteMeta(tt.rule) + `\s.*\s` + regexp.QuoteMeta(tt.status) + `$`)
		if !re.MatchString(out) {
			t.Errorf("table has no row for %s with status %q:\n%s", tt.rule, tt.status, out)
		}
	}
}

func TestTableOrder(t *testing.T) {
	out := string(render(t, "table", Options{}, fixtureReport(t)))
	var got []string
	for _, line := range strings.Split(out, "\n")[1:9] {
		got = append(got, strings.Fields(line)[0])
	}
	want := []string{"critical", "critical", "high", "high", "high", "medium", "medium", "low"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("severity column order (-want +got):\n%s", diff)
	}
}

func TestTableNoFindings(t *testing.T) {
	out := string(render(t, "table", Options{}, emptyReport()))
	if !strings.HasPrefix(out, "no findings\n") {
		t.Errorf("table of an empty report starts %q, want \"no findings\"", out)
	}
	if !strings.Contains(out, "gate: PASSED (fail-on high)") {
		t.Errorf("table of an empty report lacks the gate result:\n%s", out)
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "app/src/config.js", want: "app/src/config.js"},
		{name: "unicode", in: "docs/überblick.md", want: "docs/überblick.md"},
		{name: "tab and newline", in: "a\tb\nc", want: `a\x09b\x0ac`},
		{name: "terminal escape", in: "x\x1b[2Jy", want: `x\x1b[2Jy`},
		{name: "bidi override", in: "evil\u202egnp.js", want: `evil\u202egnp.js`},
		{name: "invalid utf8", in: "a\xffb", want: `a\xffb`},
		{name: "c1 control", in: "a\u009bb", want: `a\x9bb`},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("%s: clean(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{in: "abcd", n: 4, want: "abcd"},
		{in: "abcde", n: 4, want: "abc…"},
		{in: "äöüßé", n: 3, want: "äö…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestLocationText(t *testing.T) {
	tests := []struct {
		name string
		in   pipeline.Location
		want string
	}{
		{name: "file line", in: pipeline.Location{Path: "a/b.go", Line: 7}, want: "a/b.go:7"},
		{name: "file", in: pipeline.Location{Path: "a/b.go"}, want: "a/b.go"},
		{name: "history", in: pipeline.Location{Path: "a.sh", Line: 2, Commit: "0123456789abcdef"}, want: "a.sh:2 (commit 0123456)"},
		{name: "package", in: pipeline.Location{Package: "openssl", Version: "3.0.2"}, want: "openssl@3.0.2"},
		{name: "lockfile package", in: pipeline.Location{Path: "go.sum", Package: "x/net", Version: "v0.1.0"}, want: "go.sum x/net@v0.1.0"},
		{name: "event", in: pipeline.Location{Event: "exec /tmp/x"}, want: "exec /tmp/x"},
		{name: "nothing", in: pipeline.Location{}, want: "-"},
	}
	for _, tt := range tests {
		if got := locationText(tt.in); got != tt.want {
			t.Errorf("%s: locationText(%+v) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestRedactionGuard checks that no format, in any fixture, shows more of
// a secret than pipeline.Redact kept: neither the whole secret nor any
// eight characters of it.
func TestRedactionGuard(t *testing.T) {
	const window = 8
	for name, r := range fixtures(t) {
		outputs := map[string][]byte{"table-color": render(t, "table", Options{Color: true}, r)}
		for _, f := range Formats() {
			outputs[f] = render(t, f, Options{}, r)
		}
		for format, out := range outputs {
			for _, s := range fixtureSecrets() {
				if bytes.Contains(out, []byte(s.value)) {
					t.Errorf("%s/%s output contains the full %s secret", name, format, s.rule)
					continue
				}
				for i := 0; i+window <= len(s.value); i++ {
					if part := s.value[i : i+window]; bytes.Contains(out, []byte(part)) {
						t.Errorf("%s/%s output contains %q from the %s secret", name, format, part, s.rule)
						break
					}
				}
			}
		}
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriteErrors(t *testing.T) {
	good := fixtureReport(t)
	outOfRange := fixtureReport(t)
	outOfRange.Verdict.Blocking = []int{0, 8}
	negative := fixtureReport(t)
	negative.Verdict.Blocking = []int{-1}
	noRule := fixtureReport(t)
	noRule.Findings[3].RuleID = " "
	noFingerprint := fixtureReport(t)
	noFingerprint.Findings[7].Fingerprint = ""
	tests := []struct {
		name string
		r    *Report
	}{
		{name: "nil report", r: nil},
		{name: "blocking index out of range", r: outOfRange},
		{name: "negative blocking index", r: negative},
		{name: "empty rule id", r: noRule},
		{name: "empty fingerprint", r: noFingerprint},
	}
	for _, format := range Formats() {
		w, err := New(format, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			var buf bytes.Buffer
			err := w.Write(&buf, tt.r)
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("%s: Write(%s) = %v, want error wrapping ErrInvalid", format, tt.name, err)
			}
			if buf.Len() > 0 {
				t.Errorf("%s: Write(%s) wrote %d bytes before failing", format, tt.name, buf.Len())
			}
		}
		sink := errors.New("disk full")
		if err := w.Write(failWriter{sink}, good); !errors.Is(err, sink) {
			t.Errorf("%s: Write to a failing writer = %v, want it wrapped", format, err)
		}
	}
}

func TestWriteKeepsFindingOrder(t *testing.T) {
	r := fixtureReport(t)
	want := fixtureReport(t).Findings
	for _, format := range Formats() {
		render(t, format, Options{}, r)
		if diff := cmp.Diff(want, r.Findings); diff != "" {
			t.Fatalf("%s writer changed Report.Findings (-want +got):\n%s", format, diff)
		}
	}
}
