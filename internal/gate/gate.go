package gate

import (
	"slices"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Policy is what a gate enforces. The zero Policy fails on any finding of
// any kind, ranks unknown severities as high, and ignores nothing.
type Policy struct {
	// FailOn is the threshold: a finding at or above it blocks. The zero
	// value, SeverityUnknown, makes every finding block.
	FailOn pipeline.Severity
	// Off makes the gate report only: findings are still marked suppressed
	// or expired, but nothing blocks and the verdict always passes.
	Off bool
	// Kinds limits the kinds of finding that can block; empty means all.
	Kinds []pipeline.Kind
	// UnknownAs is the severity a finding of unknown severity is ranked as
	// against FailOn. The zero value (SeverityUnknown) means high: a missing
	// rating is no reason to let a finding through.
	UnknownAs pipeline.Severity
	// SkipUnknown makes findings of unknown severity never block,
	// whatever UnknownAs says (a vulnerability scan's --unknown-severity
	// warn or ignore).
	SkipUnknown bool
	// Ignore suppresses the findings its entries match; nil ignores nothing.
	Ignore *IgnoreFile
	// Baseline suppresses findings already present in a previous report;
	// nil makes every finding new.
	Baseline *Baseline
	// Now is when ignore entries' expiry is judged; zero means time.Now().
	Now time.Time
}

// Evaluate applies p to findings and returns the verdict. It writes each
// finding's Suppressed field (for an ignore entry or baseline match, naming
// the entry's FILE:LINE or the baseline file) and Expired field (for a
// lapsed ignore entry that matched; the finding then counts). A suppression
// the scanner set itself, such as an inline secpipe:ignore comment, is kept.
// What an earlier Evaluate wrote is cleared first, so findings may be
// evaluated again under another policy. See the package documentation for
// the order in which ignore entries and the baseline apply.
//
// A finding blocks when it is not suppressed, its kind is in p.Kinds (or
// p.Kinds is empty) and its severity, with unknown ranked as p.UnknownAs, is
// at least p.FailOn. The verdict passes when nothing blocks; Blocking lists
// the blocking indexes in ascending order. Suppressed counts findings
// suppressed inline or by the ignore file, Baselined those suppressed by the
// baseline, and Expired the distinct lapsed entries that matched a finding.
//
// Evaluate does no I/O; it is safe for concurrent use on distinct findings.
func Evaluate(p Policy, findings []pipeline.Finding) pipeline.Verdict {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := pipeline.Verdict{FailOn: p.FailOn}
	lapsed := map[string]bool{}
	for i := range findings {
		f := &findings[i]
		p.annotate(f, now)
		switch {
		case f.Suppressed == nil:
		case f.Suppressed.By == byBaseline:
			v.Baselined++
		default:
			v.Suppressed++
		}
		if f.Expired != nil {
			lapsed[f.Expired.Source] = true
		}
		if p.blocks(f) {
			v.Blocking = append(v.Blocking, i)
		}
	}
	v.Expired = len(lapsed)
	v.Passed = len(v.Blocking) == 0
	return v
}

// annotate sets f.Suppressed and f.Expired from the ignore file and baseline.
func (p Policy) annotate(f *pipeline.Finding, now time.Time) {
	f.Expired = nil
	if s := f.Suppressed; s != nil && (s.By == byIgnoreFile || s.By == byBaseline) {
		f.Suppressed = nil
	}
	if f.Suppressed != nil {
		return
	}
	active, lapsed := p.Ignore.match(f, now)
	switch {
	case active != nil:
		f.Suppressed = active.suppression()
	case lapsed != nil:
		f.Expired = lapsed.suppression()
	case p.Baseline.Contains(f.Fingerprint):
		f.Suppressed = &pipeline.Suppression{By: byBaseline, Source: p.Baseline.Name}
	}
}

// blocks reports whether an annotated finding fails the gate.
func (p Policy) blocks(f *pipeline.Finding) bool {
	if p.Off || f.Suppressed != nil {
		return false
	}
	if len(p.Kinds) > 0 && !slices.Contains(p.Kinds, f.Kind) {
		return false
	}
	if p.SkipUnknown && !Known(f.Severity) {
		return false
	}
	return p.rank(f.Severity) >= p.FailOn
}

// rank returns the severity a finding is judged at. Values outside the known
// range are treated as unknown.
func (p Policy) rank(s pipeline.Severity) pipeline.Severity {
	if Known(s) {
		return s
	}
	if p.UnknownAs == pipeline.SeverityUnknown {
		return pipeline.SeverityHigh
	}
	return p.UnknownAs
}

// Known reports whether s is a rating (info to critical) rather than
// unknown or out of range.
func Known(s pipeline.Severity) bool {
	return s > pipeline.SeverityUnknown && s <= pipeline.SeverityCritical
}
