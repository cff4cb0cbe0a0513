package threat

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// ev makes an event line at 10:00:00 with the given fields.
func ev(fields string) string { return evAt("00", fields) }

// evAt makes an event line at 10:00:SS.
func evAt(sec, fields string) string {
	return `{"time":"2026-11-28T10:00:` + sec + `Z",` + fields + `}`
}

// detectLines runs Detect over lines and returns the findings.
func detectLines(t *testing.T, cfg Config, lines ...string) []pipeline.Finding {
	t.Helper()
	r := NewReader("test.jsonl", strings.NewReader(strings.Join(lines, "\n")), ReadOptions{})
	var out []pipeline.Finding
	if _, err := Detect(context.Background(), r, cfg, func(f pipeline.Finding) error {
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatalf("Detect: %v", err)
	}
	return out
}

// ruleIDs returns the finding types of fs of the given type prefix set, or all.
func ruleIDs(fs []pipeline.Finding, only ...string) []string {
	var out []string
	for _, f := range fs {
		if len(only) == 0 || contains(only, f.RuleID) {
			out = append(out, f.RuleID)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// detectorCase is the shape of every detector table test: lines in, the
// finding types of interest out.
type detectorCase struct {
	name  string
	cfg   Config
	lines []string
	want  []string
}

func runDetectorCases(t *testing.T, only []string, cases []detectorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ruleIDs(detectLines(t, tc.cfg, tc.lines...), only...)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("findings = %v, want %v", got, tc.want)
			}
		})
	}
}

// fakeIntel is a small Intel over fixed maps.
type fakeIntel struct {
	domains map[string]intel.Category
	ips     map[netip.Addr]intel.Category
}

func (f fakeIntel) Domain(name string) (intel.Match, bool) {
	for n := name; n != ""; {
		if c, ok := f.domains[n]; ok {
			return intel.Match{List: "fake", Entry: n, Category: c}, true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	return intel.Match{}, false
}

func (f fakeIntel) IP(ip netip.Addr) (intel.Match, bool) {
	c, ok := f.ips[ip]
	return intel.Match{List: "fake", Entry: ip.String(), Category: c}, ok
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
