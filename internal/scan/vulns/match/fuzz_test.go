package match

import (
	"testing"

	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// FuzzAffects feeds arbitrary versions and events to Affects and Match: they
// must not panic, a fixed version comes only with a hit, and Match agrees
// with Affects.
func FuzzAffects(f *testing.F) {
	f.Add("Debian:9", "4.9.110-3+deb9u4", "0", "4.9.110-3+deb9u5", "", "*")
	f.Add("Go", "v0.15.0", "0", "0.17.0", "", "")
	f.Add("PyPI", "1.0rc1", "1.0a1", "", "1.0", "2.0")
	f.Add("npm", "1.0.0-beta", "1.0.0", "1.0.0", "", "")
	f.Add("Alpine:v3.18", "1.2_p1-r0", "0", "1.2-r1", "", "")
	f.Fuzz(func(t *testing.T, eco, installed, introduced, fixed, lastAffected, limit string) {
		var events []osv.Event
		events = append(events, osv.Event{Introduced: introduced})
		if fixed != "" {
			events = append(events, osv.Event{Fixed: fixed})
		}
		if lastAffected != "" {
			events = append(events, osv.Event{LastAffected: lastAffected})
		}
		if limit != "" {
			events = append(events, osv.Event{Limit: limit})
		}
		v := &osv.Vulnerability{ID: "FUZZ-1", Affected: []osv.Affected{{
			Package:  osv.Package{Ecosystem: eco, Name: "p"},
			Ranges:   []osv.Range{{Type: osv.RangeEcosystem, Events: events}, {Type: osv.RangeSemver, Events: events}},
			Versions: []string{installed, fixed},
		}}}
		p := Package{Ecosystem: eco, Name: "p", Version: installed}
		hit, fix, _ := Affects(v, p)
		if !hit && fix != "" {
			t.Errorf("Affects(%q) = false, %q: fixed without a hit", installed, fix)
		}
		if got, _ := Match([]*osv.Vulnerability{v}, p); hit != (len(got) == 1) {
			t.Errorf("Match(%q) = %v, disagrees with Affects = %v", installed, got, hit)
		}
	})
}
