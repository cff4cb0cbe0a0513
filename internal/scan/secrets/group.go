package secrets

import (
	"cmp"
	"slices"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// groupWindow is how many lines apart two parts of one credential may be.
const groupWindow = 5

// group ties findings that are parts of one credential: findings of rules
// sharing a CredentialGroup, in the same file (and commit), each within
// groupWindow lines of the previous one, get the same Group when at least
// two different rules take part. The group id is derived from the
// fingerprint of its first member, so it is as stable as that finding.
// Findings keep their order and stay separate findings.
func (s *Scanner) group(fs []pipeline.Finding) []pipeline.Finding {
	credGroup := func(f *pipeline.Finding) string {
		if r := s.ruleByID[f.RuleID]; r != nil {
			return r.CredentialGroup
		}
		return ""
	}
	var idx []int
	for i := range fs {
		if credGroup(&fs[i]) != "" {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return fs
	}
	key := func(i int) (string, string, string) {
		return fs[i].Location.Path, fs[i].Location.Commit, credGroup(&fs[i])
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		pa, ca, ga := key(a)
		pb, cb, gb := key(b)
		la, lb := fs[a].Location, fs[b].Location
		return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(ca, cb), cmp.Compare(ga, gb),
			cmp.Compare(la.Line, lb.Line), cmp.Compare(la.Column, lb.Column))
	})
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && sameCredential(fs, key, idx[end-1], idx[end]) {
			end++
		}
		cluster := idx[start:end]
		if distinctRules(fs, cluster) >= 2 {
			id := pipeline.Fingerprint("group", fs[cluster[0]].Fingerprint)
			for _, i := range cluster {
				fs[i].Group = id
			}
		}
		start = end
	}
	return fs
}

// sameCredential reports whether findings a and b (b after a in line
// order) can be parts of one credential.
func sameCredential(fs []pipeline.Finding, key func(int) (string, string, string), a, b int) bool {
	pa, ca, ga := key(a)
	pb, cb, gb := key(b)
	return pa == pb && ca == cb && ga == gb && fs[b].Location.Line-fs[a].Location.Line <= groupWindow
}

// distinctRules counts the different rules among the findings at idx.
func distinctRules(fs []pipeline.Finding, idx []int) int {
	seen := map[string]bool{}
	for _, i := range idx {
		seen[fs[i].RuleID] = true
	}
	return len(seen)
}
