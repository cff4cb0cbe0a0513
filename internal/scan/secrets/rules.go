package secrets

import "slices"

// Rules returns the built-in rule catalogue, a fresh copy on every call so
// callers may compile or filter it. Each group of vendors lives in its own
// rules_*.go file; adding a credential type is one entry there plus its
// true and false examples in the matching _test.go file.
func Rules() []Rule {
	return slices.Concat(
		cloudRules(),
		vcsRules(),
		saasRules(),
		keyRules(),
		urlRules(),
		genericRules(),
	)
}
