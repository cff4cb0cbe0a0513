package spec

import (
	"fmt"
	"strings"
)

// suggest returns ` (did you mean "x"?)` when word is a near miss of one
// of known: the same once case, '_' and '-' are ignored, one a prefix of
// the other, or within two edits. It returns "" otherwise.
func suggest(word string, known []string) string {
	if word == "" || len(word) > 64 {
		return ""
	}
	for _, match := range []func(k string) bool{
		func(k string) bool { return fold(k) == fold(word) },
		func(k string) bool { return prefixed(fold(k), fold(word)) },
	} {
		for _, k := range known {
			if match(k) {
				return fmt.Sprintf(" (did you mean %q?)", k)
			}
		}
	}
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(word), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist >= len(best) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// prefixed reports whether one word starts with the other, at least
// three letters long: JUNIT for JUNITXML, environment for env.
func prefixed(a, b string) bool {
	if len(a) < 3 || len(b) < 3 {
		return false
	}
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// fold drops case, '_' and '-' so that runOrder, run-order and runorder
// all match run_order.
func fold(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
