package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxFileSize       = 1 << 20
	DefaultMaxArchiveDepth   = 2
	DefaultMaxArchiveBytes   = 256 << 20
	DefaultMaxArchiveMembers = 10000
)

// Config sets up a Scanner. The zero value scans a directory tree with the
// built-in rules.
type Config struct {
	// Rules to detect; nil means the built-in catalogue, Rules().
	Rules []Rule
	// Logger receives warnings (unreadable files, corrupt archives) and,
	// at debug level, skipped files. Nil discards them.
	Logger *slog.Logger
	// Workers is how many files are scanned in parallel; 0 means GOMAXPROCS.
	Workers int
	// MaxFileSize is the largest file read whole; larger files (and archive
	// members) are streamed in chunks of this size that overlap by the
	// detector's MaxLen, so memory stays bounded whatever the file size.
	// Chunks are at least 8 × MaxLen bytes. Zero means DefaultMaxFileSize.
	MaxFileSize int64
	// MaxArchiveDepth is how deep nested archives (zip, tar, gzip) are
	// opened: 1 opens archives found in the tree but not archives inside
	// them. Zero means DefaultMaxArchiveDepth; a negative value disables
	// archive scanning.
	MaxArchiveDepth int
	// MaxArchiveBytes bounds the bytes decompressed from one file of the
	// tree, archives within it included, so that an archive bomb cannot
	// exhaust memory or time. Zero means DefaultMaxArchiveBytes.
	MaxArchiveBytes int64
	// MaxArchiveMembers bounds the members read from one file of the tree,
	// nested archives included. Zero means DefaultMaxArchiveMembers.
	MaxArchiveMembers int
	// Exclude lists doublestar globs, relative to the scanned root, of
	// paths to skip. A matching directory is skipped whole.
	Exclude []string
	// Git scans the repository's history instead of the files: the lines
	// each commit added.
	Git bool
	// Staged scans the changes staged in the index instead of the files.
	Staged bool
	// LogOpts are extra arguments for git log in Git mode, such as a
	// revision range or --all. Without them, HEAD's history is scanned.
	LogOpts []string
}

// Scanner finds secrets in a directory tree, a file or git history. It
// implements pipeline.Scanner; one Scanner may run several scans at once.
type Scanner struct {
	cfg      Config
	det      *Detector
	log      *slog.Logger
	b64      *base64Alphabet
	ruleByID map[string]*Rule
	chunk    int
	bufs     sync.Pool
}

var _ pipeline.Scanner = (*Scanner)(nil)

// New checks cfg, fills in its defaults and compiles the rules. It wraps
// pipeline.ErrInvalid for a bad rule, exclude pattern or mode.
func New(cfg Config) (*Scanner, error) {
	if cfg.Rules == nil {
		cfg.Rules = Rules()
	}
	det, err := NewDetector(cfg.Rules)
	if err != nil {
		return nil, fmt.Errorf("%w rule: %w", pipeline.ErrInvalid, err)
	}
	if cfg.Git && cfg.Staged {
		return nil, fmt.Errorf("%w mode: git history and staged changes exclude each other", pipeline.ErrInvalid)
	}
	for _, p := range cfg.Exclude {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("%w exclude pattern %q", pipeline.ErrInvalid, p)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	cfg.MaxFileSize = orDefault(cfg.MaxFileSize, DefaultMaxFileSize)
	cfg.MaxArchiveBytes = orDefault(cfg.MaxArchiveBytes, DefaultMaxArchiveBytes)
	cfg.MaxArchiveMembers = int(orDefault(int64(cfg.MaxArchiveMembers), DefaultMaxArchiveMembers))
	if cfg.MaxArchiveDepth == 0 {
		cfg.MaxArchiveDepth = DefaultMaxArchiveDepth
	}
	s := &Scanner{
		cfg:      cfg,
		det:      det,
		log:      cfg.Logger,
		b64:      newBase64Alphabet(),
		ruleByID: make(map[string]*Rule, len(det.rules)),
		chunk:    int(max(cfg.MaxFileSize, int64(minChunk(det.MaxLen())))),
	}
	for _, r := range det.rules {
		s.ruleByID[r.ID] = r
	}
	s.bufs.New = func() any {
		b := make([]byte, s.chunk)
		return &b
	}
	return s, nil
}

func orDefault(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// Name returns "secrets".
func (s *Scanner) Name() string { return "secrets" }

// Scan scans target, a directory or a file (or, in Git and Staged modes,
// a repository), and calls emit for each secret found, from one goroutine
// at a time, in a stable order. It wraps pipeline.ErrNotFound when target
// does not exist, stops at the first error from emit and returns it, and
// returns ctx.Err() when cancelled. Unreadable files and corrupt archives
// are logged and skipped.
func (s *Scanner) Scan(ctx context.Context, target string, emit func(pipeline.Finding) error) error {
	info, err := os.Stat(target)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("scan %s: %w", target, pipeline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", target, err)
	}
	if s.cfg.Git || s.cfg.Staged {
		return s.scanGit(ctx, target, emit)
	}
	if !info.IsDir() {
		return s.scanSingle(ctx, target, info, emit)
	}
	return s.scanTree(ctx, target, emit)
}

// scanSingle scans one file; its path in findings is its base name.
func (s *Scanner) scanSingle(ctx context.Context, target string, info os.FileInfo, emit func(pipeline.Finding) error) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("scan %s: %w not a regular file or directory", target, pipeline.ErrInvalid)
	}
	fs := s.scanFile(ctx, fileJob{abs: target, rel: filepath.Base(target)})
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, f := range fs {
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

// result carries the findings of the seq-th unit of work (a file, or the
// lines one commit added to one file).
type result struct {
	seq      int
	findings []pipeline.Finding
}

// fanOut runs work on every job from jobs on n goroutines and emits the
// findings of the results in seq order from the calling goroutine. When
// emit fails or ctx ends it calls cancel, which must make the producer of
// jobs stop, and waits for the workers; it returns emit's error or ctx's.
func fanOut[J any](ctx context.Context, cancel context.CancelFunc, n int, jobs <-chan J, work func(J) result, emit func(pipeline.Finding) error) error {
	results := make(chan result, 4*n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				r := work(j)
				select {
				case results <- r:
				case <-ctx.Done():
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	err := emitOrdered(ctx, results, emit)
	if err != nil {
		cancel()
		drain(results)
	}
	return err
}

// emitOrdered calls emit for the findings of each result in seq order,
// from the calling goroutine, as soon as all earlier results are in. It
// returns emit's first error, or ctx's once it is done; the caller then
// cancels the producers.
func emitOrdered(ctx context.Context, results <-chan result, emit func(pipeline.Finding) error) error {
	pending := map[int][]pipeline.Finding{}
	next := 0
	for r := range results {
		pending[r.seq] = r.findings
		for {
			fs, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for _, f := range fs {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := emit(f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// drain empties ch so that its producers can finish.
func drain[T any](ch <-chan T) {
	for range ch {
	}
}

// buffer takes a chunk-sized buffer from the pool; release gives it back.
func (s *Scanner) buffer() *[]byte { return s.bufs.Get().(*[]byte) }

func (s *Scanner) release(b *[]byte) { s.bufs.Put(b) }

// warn logs a problem that made the scan skip something.
func (s *Scanner) warn(msg, path string, err error) {
	s.log.Warn(msg, "path", path, "err", err)
}
