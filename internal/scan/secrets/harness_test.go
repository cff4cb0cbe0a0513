package secrets

import (
	"bytes"
	"slices"
	"sort"
	"testing"
)

// ruleCase lists examples for one rule: every tp must yield a finding of
// that rule, no fp may. Examples are single texts (often one line; PEM
// blocks and JSON documents span several).
type ruleCase struct {
	rule string
	tp   []string
	fp   []string
}

// compiledRules compiles the whole catalogue once per test binary.
func compiledRules(t testing.TB) []*Rule {
	t.Helper()
	return compileAll(t, Rules())
}

// naiveFind is the reference semantics of the detector, kept simple on
// purpose: every rule runs on every line that holds one of its keywords
// (or on the window starting at that line, for multiline rules); duplicate
// spans are dropped and a generic rule yields to a specific rule that found
// an overlapping secret. The fast detector must agree with it.
func naiveFind(rules []*Rule, text []byte) []Match {
	lower := asciiLowerCopy(text)
	type key struct {
		id         string
		start, end int
	}
	seen := map[key]bool{}
	var out []Match
	for _, r := range rules {
		for ls := 0; ls < len(text); {
			le := bytes.IndexByte(text[ls:], '\n')
			if le < 0 {
				le = len(text)
			} else {
				le += ls
			}
			hit := slices.ContainsFunc(r.Keywords, func(k string) bool {
				return bytes.Contains(lower[ls:le], []byte(k))
			})
			if hit {
				end := le
				if r.Multiline {
					end = min(len(text), ls+r.MaxLen)
				}
				r.find(text[ls:end], func(m Match) {
					m.Start += ls
					m.End += ls
					k := key{r.ID, m.Start, m.End}
					if !seen[k] {
						seen[k] = true
						out = append(out, m)
					}
				})
			}
			ls = le + 1
		}
	}
	out = slices.DeleteFunc(out, func(m Match) bool {
		if !m.Rule.Generic {
			return false
		}
		return slices.ContainsFunc(out, func(o Match) bool {
			return !o.Rule.Generic && o.Start < m.End && m.Start < o.End
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].Rule.ID < out[j].Rule.ID
	})
	return out
}

// asciiLowerCopy lower-cases ASCII letters only, so offsets in the copy
// match offsets in text whatever bytes it holds (bytes.ToLower would
// change the length of invalid UTF-8 and some letters).
func asciiLowerCopy(text []byte) []byte {
	out := make([]byte, len(text))
	for i, c := range text {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// checkCases runs every example of cases through find and reports misses
// and false alarms.
func checkCases(t *testing.T, cases []ruleCase, find func(text []byte) []Match) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			for _, tp := range c.tp {
				ms := find([]byte(tp))
				if !slices.ContainsFunc(ms, func(m Match) bool { return m.Rule.ID == c.rule }) {
					t.Errorf("find(%q) = %v, want a %s match", tp, ids(ms), c.rule)
				}
			}
			for _, fp := range c.fp {
				ms := find([]byte(fp))
				if slices.ContainsFunc(ms, func(m Match) bool { return m.Rule.ID == c.rule }) {
					t.Errorf("find(%q) = %v, want no %s match", fp, ids(ms), c.rule)
				}
			}
		})
	}
}

func ids(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule.ID)
	}
	return out
}
