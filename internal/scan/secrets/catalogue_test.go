package secrets

import (
	"regexp"
	"slices"
	"testing"
)

// allCases gathers the examples of every rule file.
func allCases() []ruleCase {
	return slices.Concat(cloudCases, vcsCases, saasCases, keyCases, urlCases, genericCases)
}

// TestCatalogueComplete holds the catalogue to its promise: at least 150
// credential types, each with an ID in kebab-case, a remediation, and at
// least two true and two false examples.
func TestCatalogueComplete(t *testing.T) {
	rules := Rules()
	if len(rules) < 150 {
		t.Errorf("len(Rules()) = %d, want at least 150", len(rules))
	}
	cases := map[string]ruleCase{}
	for _, c := range allCases() {
		if _, dup := cases[c.rule]; dup {
			t.Errorf("rule %s has two case entries", c.rule)
		}
		cases[c.rule] = c
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	ids := map[string]bool{}
	for _, r := range rules {
		if ids[r.ID] {
			t.Errorf("rule ID %s is used twice", r.ID)
		}
		ids[r.ID] = true
		if !kebab.MatchString(r.ID) {
			t.Errorf("rule ID %q is not kebab-case", r.ID)
		}
		if r.Remediation == "" {
			t.Errorf("rule %s has no remediation", r.ID)
		}
		c, ok := cases[r.ID]
		switch {
		case !ok:
			t.Errorf("rule %s has no examples", r.ID)
		case len(c.tp) < 2 || len(c.fp) < 2:
			t.Errorf("rule %s has %d true and %d false examples, want at least 2 of each", r.ID, len(c.tp), len(c.fp))
		}
	}
	for id := range cases {
		if !ids[id] {
			t.Errorf("examples for %s, which is not a rule", id)
		}
	}
}
