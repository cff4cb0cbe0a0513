package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
	"github.com/secpipe/secpipe/internal/scan/vulns/version"
)

// event is one parsed introduced, fixed or last_affected event.
type event struct {
	kind string
	raw  string
	v    version.Version
	// zero marks introduced "0", which sorts before every version.
	zero bool
}

// span is one parsed range: its timeline sorted by version and its limits.
type span struct {
	timeline []event
	limits   []version.Version
	// unlimited is set by a limit containing "*" (infinity), which every
	// version is below.
	unlimited bool
}

// parseRange parses and sorts the events of one range under the ordering of
// ecosystem order. The sort is stable: events at equal versions keep the
// advisory's order, which the schema leaves to the author's timeline. The
// error names the event ("events[2]: ...").
func parseRange(order string, events []osv.Event) (span, error) {
	var s span
	for i, e := range events {
		kind, raw := e.Kind()
		switch {
		case kind == "":
			return span{}, fmt.Errorf("events[%d]: no event set", i)
		case kind == "introduced" && raw == "0":
			s.timeline = append(s.timeline, event{kind: kind, raw: raw, zero: true})
			continue
		case kind == "limit" && strings.Contains(raw, "*"):
			s.unlimited = true
			continue
		}
		v, err := version.Parse(order, raw)
		if err != nil {
			return span{}, fmt.Errorf("events[%d].%s: %w", i, kind, err)
		}
		if kind == "limit" {
			s.limits = append(s.limits, v)
			continue
		}
		s.timeline = append(s.timeline, event{kind: kind, raw: raw, v: v})
	}
	slices.SortStableFunc(s.timeline, func(a, b event) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		return a.v.Compare(b.v)
	})
	return s, nil
}

// beforeLimits is the schema's BeforeLimits: true without limit events,
// else true when v is below one of them.
func (s span) beforeLimits(v version.Version) bool {
	if s.unlimited || len(s.limits) == 0 {
		return true
	}
	for _, l := range s.limits {
		if v.Compare(l) < 0 {
			return true
		}
	}
	return false
}

// includes is the schema's evaluation of one range: walk the sorted
// timeline, switching on at introduced events at or below v and off at
// fixed events at or below v and last_affected events below v.
func (s span) includes(v version.Version) bool {
	if !s.beforeLimits(v) {
		return false
	}
	vulnerable := false
	for _, e := range s.timeline {
		switch e.kind {
		case "introduced":
			if e.zero || v.Compare(e.v) >= 0 {
				vulnerable = true
			}
		case "fixed":
			if v.Compare(e.v) >= 0 {
				vulnerable = false
			}
		case "last_affected":
			if v.Compare(e.v) > 0 {
				vulnerable = false
			}
		}
	}
	return vulnerable
}

// fixedAbove returns the lowest fixed event above v that the range does not
// include, or "" when there is none (an open range, or one closed only by
// last_affected or limit events).
func (s span) fixedAbove(v version.Version) string {
	for _, e := range s.timeline {
		if e.kind == "fixed" && e.v.Compare(v) > 0 && !s.includes(e.v) {
			return e.raw
		}
	}
	return ""
}
