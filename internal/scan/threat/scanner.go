package threat

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Scanner evaluates a recorded event log or DNS query log file. It
// implements pipeline.Scanner; it holds no per-scan state, so one Scanner
// may run several scans at once.
type Scanner struct {
	cfg  Config
	opts ReadOptions
	log  *slog.Logger
}

var _ pipeline.Scanner = (*Scanner)(nil)

// NewScanner returns a Scanner that detects with cfg and reads logs with
// opts. Skipped lines (lenient mode) are logged as warnings to log; nil
// discards them.
func NewScanner(cfg Config, opts ReadOptions, log *slog.Logger) *Scanner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{cfg: cfg, opts: opts, log: log}
}

// Name returns "threat".
func (s *Scanner) Name() string { return "threat" }

// Scan reads the log file at target and streams its findings to emit. A
// missing file wraps pipeline.ErrNotFound, a directory or malformed line
// pipeline.ErrInvalid; see Detect for the rest.
func (s *Scanner) Scan(ctx context.Context, target string, emit func(pipeline.Finding) error) error {
	f, err := os.Open(target)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open event log: %w: %s", pipeline.ErrNotFound, target)
	}
	if err != nil {
		return fmt.Errorf("open event log: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return fmt.Errorf("event log %s: %w: is a directory", target, pipeline.ErrInvalid)
	}
	r := NewReader(target, f, s.opts)
	st, err := Detect(ctx, r, s.cfg, emit)
	for _, w := range r.Warnings() {
		s.log.Warn("skipped line", "err", w)
	}
	if st.Skipped > len(r.Warnings()) {
		s.log.Warn("skipped more lines", "count", st.Skipped-len(r.Warnings()))
	}
	if st.Dropped > 0 {
		s.log.Warn("too many distinct findings; some were not reported", "dropped", st.Dropped)
	}
	s.log.Debug("threat scan done", "file", target, "format", r.Format(), "events", st.Events, "findings", st.Findings)
	return err
}
