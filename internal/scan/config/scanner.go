package config

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
)

// undeterminedSuffix ends the title of a finding that only the running
// system could settle.
const undeterminedSuffix = " (not determinable statically)"

// Config sets up a Scanner.
type Config struct {
	// Checks to run; each scan runs those whose Target matches the kind
	// of the target.
	Checks []Check
	// Logger receives warnings (a check that could not run, an unreadable
	// directory) and, at debug level, each check's counts and the files
	// found not applicable (a template skipped), once per file and
	// message. Nil discards.
	Logger *slog.Logger
	// Workers is how many checks run in parallel; 0 means GOMAXPROCS.
	Workers int
	// Kind forces the kind of every target; 0 detects it (see Open).
	Kind TargetKind
}

// Scanner runs configuration checks over a root filesystem or a source
// tree. It implements pipeline.Scanner; one Scanner may run several scans
// at once.
type Scanner struct {
	checks  []Check
	log     *slog.Logger
	workers int
	kind    TargetKind
}

var _ pipeline.Scanner = (*Scanner)(nil)

// Stats counts the outcomes of one scan.
type Stats struct {
	// Kind is the kind the target was scanned as.
	Kind TargetKind
	// Checks is how many checks ran (those of the target's kind).
	Checks int
	// Results per status.
	Pass, Fail, NotApplicable, Undetermined int
	// Errors counts the checks that could not run.
	Errors int
}

// New validates cfg's checks and fills in its defaults. It wraps
// pipeline.ErrInvalid for an invalid check or a check ID used twice.
func New(cfg Config) (*Scanner, error) {
	seen := map[string]bool{}
	for i := range cfg.Checks {
		c := &cfg.Checks[i]
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("%w check id %q: registered twice", pipeline.ErrInvalid, c.ID)
		}
		seen[c.ID] = true
	}
	if cfg.Kind != 0 && cfg.Kind != TargetRootFS && cfg.Kind != TargetSource {
		return nil, fmt.Errorf("%w target kind %d", pipeline.ErrInvalid, int(cfg.Kind))
	}
	s := &Scanner{checks: slices.Clone(cfg.Checks), log: cfg.Logger, workers: cfg.Workers, kind: cfg.Kind}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.workers <= 0 {
		s.workers = runtime.GOMAXPROCS(0)
	}
	slices.SortFunc(s.checks, func(a, b Check) int { return cmp.Compare(a.ID, b.ID) })
	return s, nil
}

// Name returns "config".
func (s *Scanner) Name() string { return "config" }

// Scan opens target (see Open), runs the checks of its kind and calls
// emit, from one goroutine, for every failed or undetermined result,
// ordered by check ID, path and line. It wraps pipeline.ErrNotFound when
// the target does not exist, stops at the first error from emit and
// returns it, and returns ctx.Err() when cancelled. A check that returns
// an error is logged and skipped; a check that panics is a bug: its
// findings are missing, so after emitting the others Scan returns an
// error naming it.
func (s *Scanner) Scan(ctx context.Context, target string, emit func(pipeline.Finding) error) error {
	_, err := s.ScanStats(ctx, target, emit)
	return err
}

// ScanStats is Scan that also counts the results of every status.
func (s *Scanner) ScanStats(ctx context.Context, target string, emit func(pipeline.Finding) error) (Stats, error) {
	root, kind, err := rootfs.Open(target, rootfs.Options{Kind: s.kind, Keep: KeepContent})
	if err != nil {
		return Stats{}, err
	}
	if c, ok := root.(io.Closer); ok {
		defer c.Close()
	}
	if d, ok := root.(*rootfs.DirRoot); ok {
		for _, p := range d.Problems() {
			s.log.Warn("config: part of the target is unreadable; checks may miss files", "target", target, "error", p)
		}
	}
	return s.ScanRoot(ctx, root, kind, emit)
}

// ScanRoot runs the checks of kind over an open root, as ScanStats does.
func (s *Scanner) ScanRoot(ctx context.Context, root rootfs.Root, kind TargetKind, emit func(pipeline.Finding) error) (Stats, error) {
	var checks []Check
	for _, c := range s.checks {
		if c.Target == kind {
			checks = append(checks, c)
		}
	}
	outcomes := s.runAll(ctx, root, checks)
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	stats := Stats{Kind: kind, Checks: len(checks)}
	var findings []pipeline.Finding
	var panics []error
	noted := map[[2]string]bool{}
	for i, o := range outcomes {
		c := &checks[i]
		switch {
		case o.panicked != nil:
			panics = append(panics, o.panicked)
			stats.Errors++
		case o.err != nil:
			s.log.Warn("config: check could not run", "check", c.ID, "error", o.err)
			stats.Errors++
		default:
			findings = append(findings, s.convert(c, o.results, &stats, noted)...)
		}
	}
	sortFindings(findings)
	markDuplicates(findings)
	for _, f := range findings {
		if err := emit(f); err != nil {
			return stats, err
		}
	}
	return stats, errors.Join(panics...)
}

// outcome is what one check returned.
type outcome struct {
	results  []Result
	err      error
	panicked error
}

// runAll runs checks on s.workers goroutines; outcomes[i] is checks[i]'s.
func (s *Scanner) runAll(ctx context.Context, root rootfs.Root, checks []Check) []outcome {
	outcomes := make([]outcome, len(checks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(s.workers, len(checks)) {
		wg.Go(func() {
			for i := range next {
				outcomes[i] = s.runOne(ctx, root, &checks[i])
			}
		})
	}
	for i := range checks {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return outcomes
}

// runOne runs one check, turning a panic into an error naming it.
func (s *Scanner) runOne(ctx context.Context, root rootfs.Root, c *Check) (o outcome) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Debug("config: check panicked", "check", c.ID, "stack", string(debug.Stack()))
			o = outcome{panicked: fmt.Errorf("check %s panicked: %v", c.ID, v)}
		}
	}()
	if ctx.Err() != nil {
		return outcome{}
	}
	rs, err := c.Run(ctx, root)
	if err != nil {
		return outcome{err: err}
	}
	return outcome{results: rs}
}

// convert counts c's results and turns the failed and undetermined ones
// into findings. It logs a NotApplicable result naming a file at debug
// level unless noted holds its path and message, and adds them.
func (s *Scanner) convert(c *Check, rs []Result, stats *Stats, noted map[[2]string]bool) []pipeline.Finding {
	var out []pipeline.Finding
	var n Stats
	for _, r := range rs {
		switch r.Status {
		case Pass:
			n.Pass++
		case NotApplicable:
			n.NotApplicable++
			if key := [2]string{r.Path, r.Message}; r.Path != "" && !noted[key] {
				noted[key] = true
				s.log.Debug("config: not applicable", "check", c.ID, "path", r.Path, "line", r.Line, "message", r.Message)
			}
		case Fail:
			n.Fail++
			out = append(out, finding(c, r))
		case Undetermined:
			n.Undetermined++
			out = append(out, finding(c, r))
		default:
			s.log.Warn("config: check returned an unknown status", "check", c.ID, "status", r.Status.String())
		}
	}
	stats.Pass += n.Pass
	stats.Fail += n.Fail
	stats.NotApplicable += n.NotApplicable
	stats.Undetermined += n.Undetermined
	s.log.Debug("config: check ran", "check", c.ID, "pass", n.Pass, "fail", n.Fail,
		"not_applicable", n.NotApplicable, "undetermined", n.Undetermined)
	return out
}

// finding turns a failed or undetermined result into a finding.
func finding(c *Check, r Result) pipeline.Finding {
	f := pipeline.Finding{
		Kind:        pipeline.KindConfig,
		RuleID:      c.ID,
		Severity:    c.Severity,
		Title:       c.Title,
		Description: c.Rationale,
		Location:    pipeline.Location{Path: r.Path, Line: r.Line},
		Fingerprint: pipeline.Fingerprint(string(pipeline.KindConfig), c.ID, r.Path, stableMessage(r.Message)),
		Remediation: c.Remediation,
		References:  slices.Clone(c.References),
	}
	if r.Message != "" {
		f.Description = r.Message + "\n\n" + c.Rationale
	}
	if r.Status == Undetermined {
		f.Severity = pipeline.SeverityInfo
		f.Title += undeterminedSuffix
	}
	return f
}

// lineRef matches a line number after a path ("etc/ssh/sshd_config:12")
// or spelled out ("line 12"): what moves when a file is edited.
var lineRef = regexp.MustCompile(`([^\s:()]*/[^\s:()]*):\d+|\bline \d+`)

// stableMessage drops line numbers from a message, so a finding keeps its
// fingerprint when lines are added above it.
func stableMessage(m string) string {
	return lineRef.ReplaceAllStringFunc(m, func(s string) string {
		if sub := lineRef.FindStringSubmatch(s); sub[1] != "" {
			return sub[1]
		}
		return "line"
	})
}

// markDuplicates keeps fingerprints unique: a second finding with the
// same fingerprint (the same message of one check for the same file, at
// another line) gets one derived from its rank.
func markDuplicates(fs []pipeline.Finding) {
	seen := map[string]int{}
	for i := range fs {
		fp := fs[i].Fingerprint
		seen[fp]++
		if n := seen[fp]; n > 1 {
			fs[i].Fingerprint = pipeline.Fingerprint(fp, fmt.Sprint(n))
		}
	}
}

// sortFindings orders findings by rule, path and line, keeping each
// check's own order among equals.
func sortFindings(fs []pipeline.Finding) {
	slices.SortStableFunc(fs, func(a, b pipeline.Finding) int {
		return cmp.Or(
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Line, b.Location.Line),
		)
	})
}
