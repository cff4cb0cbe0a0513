package vulndb

import (
	"strings"

	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// indexKey is the key an affected entry is indexed under: its ecosystem as
// written, a NUL, and its name (PEP 503 normalised for PyPI). ok is false
// for entries that cannot be looked up (no ecosystem or name, or a NUL in
// the ecosystem, which would make keys ambiguous).
func indexKey(p osv.Package) (key string, ok bool) {
	if p.Ecosystem == "" || p.Name == "" || strings.IndexByte(p.Ecosystem, 0) >= 0 {
		return "", false
	}
	return p.Ecosystem + "\x00" + match.NormalizeName(p.Ecosystem, p.Name), true
}

// lookupKeys lists the keys whose records may affect p: p's ecosystem and,
// for a release ("Debian:9"), the bare ecosystem ("Debian"), each with
// p.Name and p.SourceName. This mirrors match's ecosystem and name rules.
func lookupKeys(p match.Package) []string {
	if p.Ecosystem == "" {
		return nil
	}
	ecos := []string{p.Ecosystem}
	if base, _, found := strings.Cut(p.Ecosystem, ":"); found {
		ecos = append(ecos, base)
	}
	var keys []string
	for _, eco := range ecos {
		for _, name := range []string{p.Name, p.SourceName} {
			if name == "" {
				continue
			}
			k := eco + "\x00" + match.NormalizeName(eco, name)
			if len(keys) == 0 || keys[len(keys)-1] != k {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// keyEcosystem returns the ecosystem part of a key.
func keyEcosystem(key string) string {
	eco, _, _ := strings.Cut(key, "\x00")
	return eco
}
