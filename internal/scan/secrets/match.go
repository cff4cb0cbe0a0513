package secrets

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Match is one secret found by one rule in a piece of text.
type Match struct {
	Rule *Rule
	// Secret is the credential itself. It never leaves this package except
	// through pipeline.Redact and pipeline.Fingerprint.
	Secret string
	// Start and End are byte offsets of the secret in the text given to find.
	Start, End int
}

const defaultMaxLen = 1 << 10

// compile checks a rule and compiles its pattern.
func (r *Rule) compile() error {
	if r.ID == "" || r.Title == "" {
		return fmt.Errorf("rule %q: id and title are required", r.ID)
	}
	if len(r.Keywords) == 0 {
		return fmt.Errorf("rule %s: at least one keyword is required", r.ID)
	}
	for _, k := range r.Keywords {
		if len(k) < 3 || k != strings.ToLower(k) {
			return fmt.Errorf("rule %s: keyword %q must be lower-case and at least 3 bytes", r.ID, k)
		}
	}
	re, err := regexp.Compile(r.Pattern)
	if err != nil {
		return fmt.Errorf("rule %s: pattern: %w", r.ID, err)
	}
	if i := re.SubexpIndex("secret"); i > 0 {
		r.SecretGroup = i
	}
	if r.SecretGroup > re.NumSubexp() {
		return fmt.Errorf("rule %s: secret group %d but pattern has %d groups", r.ID, r.SecretGroup, re.NumSubexp())
	}
	if r.MaxLen == 0 {
		r.MaxLen = defaultMaxLen
	}
	r.re = re
	return nil
}

// find runs the rule over text (a line, or a window for Multiline rules)
// and calls emit for every match that passes the rule's checks and the
// shared false-positive filters.
func (r *Rule) find(text []byte, emit func(Match)) {
	for _, loc := range r.re.FindAllSubmatchIndex(text, -1) {
		s, e := loc[2*r.SecretGroup], loc[2*r.SecretGroup+1]
		if s < 0 {
			continue
		}
		secret := string(text[s:e])
		match := string(text[loc[0]:loc[1]])
		if r.MinEntropy > 0 && entropy(secret) < r.MinEntropy {
			continue
		}
		if r.Verify != nil && !r.Verify(secret, match) {
			continue
		}
		if notSecret(r, secret, lineAround(text, s, e)) {
			continue
		}
		emit(Match{Rule: r, Secret: secret, Start: s, End: e})
	}
}

// lineAround returns the line of text that holds [s, e).
func lineAround(text []byte, s, e int) []byte {
	ls := bytes.LastIndexByte(text[:s], '\n') + 1
	le := bytes.IndexByte(text[e:], '\n')
	if le < 0 {
		return text[ls:]
	}
	return text[ls : e+le]
}

// entropy returns the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
