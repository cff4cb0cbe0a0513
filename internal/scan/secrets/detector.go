package secrets

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// Detector finds secrets in a piece of text with a set of compiled rules.
//
// It makes one pass over the text with a keyword automaton (ASCII
// case-insensitive) and then runs each rule only on the lines where one of
// its keywords occurs (or, for a Multiline rule, on the window of MaxLen
// bytes starting at such a line), once per rule and line. The result is
// the same as running every rule on every line that holds one of its
// keywords.
//
// A Detector is immutable and safe for concurrent use.
type Detector struct {
	rules    []*Rule
	keywords *keywordSet
	// byKeyword maps a keyword index to the rules that use it.
	byKeyword [][]int32
	maxLen    int
	scratch   sync.Pool
}

// detectScratch is the per-call state of Find, pooled between calls.
type detectScratch struct {
	// lastLine is the start of the last line each rule was queued for, +1.
	lastLine []int
	work     []lineWork
	hold     []kwHit
}

// lineWork is one rule to run on one line.
type lineWork struct {
	rule       int32
	start, end int
}

// NewDetector checks rules and builds a Detector from them. It rejects a
// rule without an id, title or keyword, a keyword that is not lower-case or
// shorter than 3 bytes, a pattern that does not compile, a bad secret
// group, and two rules with the same id.
func NewDetector(rules []Rule) (*Detector, error) {
	d := &Detector{rules: make([]*Rule, len(rules))}
	ids := make(map[string]bool, len(rules))
	var keywords []string
	kwIndex := map[string]int{}
	for i := range rules {
		r := rules[i]
		if ids[r.ID] {
			return nil, fmt.Errorf("rule %s: duplicate id", r.ID)
		}
		ids[r.ID] = true
		if err := r.compile(); err != nil {
			return nil, err
		}
		d.rules[i] = &r
		d.maxLen = max(d.maxLen, r.MaxLen)
		for _, k := range r.Keywords {
			ki, ok := kwIndex[k]
			if !ok {
				ki = len(keywords)
				kwIndex[k] = ki
				keywords = append(keywords, k)
				d.byKeyword = append(d.byKeyword, nil)
			}
			if !slices.Contains(d.byKeyword[ki], int32(i)) {
				d.byKeyword[ki] = append(d.byKeyword[ki], int32(i))
			}
		}
	}
	d.keywords = newKeywordSet(keywords)
	d.scratch.New = func() any {
		return &detectScratch{lastLine: make([]int, len(d.rules))}
	}
	return d, nil
}

// MaxLen returns the longest match any rule declares, in bytes: a reader
// that feeds the detector a long input in chunks keeps this much overlap
// between consecutive chunks so that no match is cut in two.
func (d *Detector) MaxLen() int { return d.maxLen }

// Find returns the matches in text, ordered by start offset and then rule
// id. A match of a generic rule is dropped when a vendor rule matched an
// overlapping span.
func (d *Detector) Find(text []byte) []Match {
	sc := d.scratch.Get().(*detectScratch)
	defer d.scratch.Put(sc)
	sc.work = d.queue(text, sc)
	if len(sc.work) == 0 {
		return nil
	}
	var out []Match
	for _, w := range sc.work {
		r := d.rules[w.rule]
		end := w.end
		if r.Multiline {
			end = min(len(text), w.start+r.MaxLen)
		}
		r.find(text[w.start:end], func(m Match) {
			m.Start += w.start
			m.End += w.start
			out = append(out, m)
		})
	}
	return settle(out)
}

// queue runs the keyword automaton over text and lists, once per rule and
// line, the lines each rule must run on.
func (d *Detector) queue(text []byte, sc *detectScratch) []lineWork {
	clear(sc.lastLine)
	work := sc.work[:0]
	lineStart, lineEnd := 0, -1
	d.keywords.scan(text, &sc.hold, func(end int, kws []int32) {
		if end > lineEnd {
			lineStart = bytes.LastIndexByte(text[:end], '\n') + 1
			lineEnd = bytes.IndexByte(text[end:], '\n')
			if lineEnd < 0 {
				lineEnd = len(text)
			} else {
				lineEnd += end
			}
		}
		for _, k := range kws {
			for _, ri := range d.byKeyword[k] {
				if sc.lastLine[ri] == lineStart+1 {
					continue
				}
				sc.lastLine[ri] = lineStart + 1
				work = append(work, lineWork{rule: ri, start: lineStart, end: lineEnd})
			}
		}
	})
	return work
}

// settle sorts matches, drops duplicates (multiline windows overlap) and
// drops generic matches that overlap a vendor match.
func settle(ms []Match) []Match {
	slices.SortFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Rule.ID, b.Rule.ID), cmp.Compare(a.End, b.End))
	})
	ms = slices.CompactFunc(ms, func(a, b Match) bool {
		return a.Start == b.Start && a.End == b.End && a.Rule.ID == b.Rule.ID
	})
	if !slices.ContainsFunc(ms, func(m Match) bool { return m.Rule.Generic }) {
		return ms
	}
	vendor := newOverlapIndex(ms, func(m Match) bool { return !m.Rule.Generic })
	return slices.DeleteFunc(ms, func(m Match) bool {
		return m.Rule.Generic && vendor.overlaps(m.Start, m.End)
	})
}

// overlapIndex tells whether a range overlaps one of a set of matches, in
// O(log n): with the matches sorted by start, a range [s, e) overlaps one
// when, among those starting before e, the largest end is past s.
type overlapIndex struct {
	starts []int
	// maxEnd[i] is the largest end among the first i+1 matches.
	maxEnd []int
}

// newOverlapIndex indexes the matches of ms (sorted by start) that keep accepts.
func newOverlapIndex(ms []Match, keep func(Match) bool) overlapIndex {
	var x overlapIndex
	best := -1
	for _, m := range ms {
		if !keep(m) {
			continue
		}
		best = max(best, m.End)
		x.starts = append(x.starts, m.Start)
		x.maxEnd = append(x.maxEnd, best)
	}
	return x
}

// overlaps reports whether [start, end) overlaps an indexed match.
func (x overlapIndex) overlaps(start, end int) bool {
	n, _ := slices.BinarySearch(x.starts, end)
	return n > 0 && x.maxEnd[n-1] > start
}
