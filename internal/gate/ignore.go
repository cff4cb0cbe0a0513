package gate

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Values of pipeline.Suppression.By that the gate sets. Scanners set "inline".
const (
	byIgnoreFile = "ignore-file"
	byBaseline   = "baseline"
)

// IgnoreFile is a parsed .secpipeignore file (see the package documentation
// for its format). It is read-only once parsed, so one value may serve
// concurrent evaluations. A nil *IgnoreFile ignores nothing.
type IgnoreFile struct {
	// Name is the file name as given to LoadIgnoreFile or ParseIgnoreFile;
	// entries' Source fields start with it.
	Name string
	// Entries are in file order; the first matching entry that has not
	// expired is the one a finding's Suppressed field names.
	Entries []Entry
}

// Entry is one ignore entry. Rule, Package, Path and Fingerprint are its
// matchers: at least one is set, and a finding matches when all set ones
// match.
type Entry struct {
	// Rule matches Finding.RuleID, or one of Finding.Aliases (so a
	// vulnerability is ignored by any of its ids: CVE, GHSA, DSA...).
	Rule string
	// Package matches Finding.Location.Package, as NAME (any version) or
	// NAME@VERSION.
	Package     string
	Path        string // doublestar glob on Finding.Location.Path, validated
	Fingerprint string // matches Finding.Fingerprint; lower-case hex
	Reason      string // why the finding is ignored; never empty
	// Expires is when the entry lapses; zero means never. A date-only
	// expiry is stored as the last second of that day, UTC.
	Expires time.Time
	// Source is "FILE:LINE" of the entry, for messages and reports.
	Source string
}

// LoadIgnoreFile reads and parses the ignore file at path. Errors from
// reading keep their cause (errors.Is(err, fs.ErrNotExist) holds for a
// missing file); parse errors wrap pipeline.ErrInvalid and name
// path:line and the field.
func LoadIgnoreFile(path string) (*IgnoreFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	return ParseIgnoreFile(path, data)
}

// ExpiredAt reports whether the entry has lapsed at now: it has an expiry
// and now is after it.
func (e Entry) ExpiredAt(now time.Time) bool {
	return !e.Expires.IsZero() && now.After(e.Expires)
}

// matches reports whether every matcher the entry gives matches f.
func (e *Entry) matches(f *pipeline.Finding) bool {
	if e.Rule != "" && !ruleMatches(e.Rule, f) {
		return false
	}
	if e.Package != "" && !packageMatches(e.Package, f.Location) {
		return false
	}
	if e.Fingerprint != "" && !strings.EqualFold(e.Fingerprint, f.Fingerprint) {
		return false
	}
	if e.Path != "" {
		// The pattern was validated when the file was parsed.
		return f.Location.Path != "" && doublestar.MatchUnvalidated(e.Path, f.Location.Path)
	}
	return true
}

// ruleMatches reports whether rule names f's rule or, for a vulnerability,
// one of its aliases. Vulnerability ids compare without regard to case.
func ruleMatches(rule string, f *pipeline.Finding) bool {
	if rule == f.RuleID {
		return true
	}
	if f.Kind != pipeline.KindVuln {
		return false
	}
	if strings.EqualFold(rule, f.RuleID) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(rule, a) {
			return true
		}
	}
	return false
}

// packageMatches reports whether pkg (NAME or NAME@VERSION) names the
// package at loc.
func packageMatches(pkg string, loc pipeline.Location) bool {
	if loc.Package == "" {
		return false
	}
	if pkg == loc.Package {
		return true
	}
	i := strings.LastIndex(pkg, "@")
	return i > 0 && pkg[:i] == loc.Package && pkg[i+1:] == loc.Version
}

// suppression describes the entry for a finding's Suppressed or Expired field.
func (e *Entry) suppression() *pipeline.Suppression {
	return &pipeline.Suppression{By: byIgnoreFile, Reason: e.Reason, Source: e.Source, Expires: e.Expires}
}

// Expired returns the entries that have lapsed at now, whether or not they
// match any finding, in file order, so the CLI can ask for them to be
// renewed or removed.
func (f *IgnoreFile) Expired(now time.Time) []Entry {
	if f == nil {
		return nil
	}
	var out []Entry
	for _, e := range f.Entries {
		if e.ExpiredAt(now) {
			out = append(out, e)
		}
	}
	return out
}

// Unused returns the entries that match none of findings, in file order:
// stale entries whose problem is gone and which could hide a new one. An
// entry matching a finding that is suppressed some other way still counts
// as used.
func (f *IgnoreFile) Unused(findings []pipeline.Finding) []Entry {
	if f == nil {
		return nil
	}
	var out []Entry
	for i := range f.Entries {
		e := &f.Entries[i]
		used := false
		for j := range findings {
			if e.matches(&findings[j]) {
				used = true
				break
			}
		}
		if !used {
			out = append(out, *e)
		}
	}
	return out
}

// match returns the first entry matching fd that has not lapsed at now or,
// when every matching entry has lapsed, the first of those as lapsed.
func (f *IgnoreFile) match(fd *pipeline.Finding, now time.Time) (active, lapsed *Entry) {
	if f == nil {
		return nil, nil
	}
	for i := range f.Entries {
		e := &f.Entries[i]
		if !e.matches(fd) {
			continue
		}
		if !e.ExpiredAt(now) {
			return e, nil
		}
		if lapsed == nil {
			lapsed = e
		}
	}
	return nil, lapsed
}

// invalidError is a message about bad input. It matches pipeline.ErrInvalid,
// so the CLI maps it to a usage error, while its text stays exactly the
// message (file, line, field, problem).
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return pipeline.ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}
