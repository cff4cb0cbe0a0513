package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// fileJob is one regular file of the tree to scan.
type fileJob struct {
	seq int
	abs string
	// rel is the slash-separated path relative to the scanned root.
	rel string
}

// scanTree scans every regular file under root on a pool of workers and
// emits their findings in walk order.
func (s *Scanner) scanTree(ctx context.Context, root string, emit func(pipeline.Finding) error) error {
	// The root may be a symbolic link to the tree; links inside it are not followed.
	resolved, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("scan %s: %w", root, err)
	}
	root = resolved
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan fileJob, 4*s.cfg.Workers)
	walkErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		walkErr <- s.walk(ctx, root, jobs)
	}()
	work := func(j fileJob) result { return result{seq: j.seq, findings: s.scanFile(ctx, j)} }
	if err := fanOut(ctx, cancel, s.cfg.Workers, jobs, work, emit); err != nil {
		return err
	}
	if err := <-walkErr; err != nil {
		return err
	}
	return ctx.Err()
}

// walk sends every regular file under root to jobs, in lexical order. It
// skips .git directories, excluded paths, symbolic links and special
// files; a directory it cannot read is logged and skipped.
func (s *Scanner) walk(ctx context.Context, root string, jobs chan<- fileJob) error {
	seq := 0
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return fmt.Errorf("scan %s: %w", root, err)
			}
			s.warn("skip unreadable directory", path, err)
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && (d.Name() == ".git" || isStateDir(path, d) || s.excluded(rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || s.excluded(rel) {
			return nil
		}
		select {
		case jobs <- fileJob{seq: seq, abs: path, rel: rel}:
			seq++
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// excluded reports whether rel matches one of the exclude patterns.
func (s *Scanner) excluded(rel string) bool {
	for _, p := range s.cfg.Exclude {
		if ok, _ := doublestar.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// scanFile scans one file of the tree and returns its findings, grouped.
// A file that cannot be read is logged and yields nothing.
func (s *Scanner) scanFile(ctx context.Context, j fileJob) []pipeline.Finding {
	f, err := os.Open(j.abs)
	if err != nil {
		s.warn("skip unreadable file", j.rel, err)
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		s.warn("skip unreadable file", j.rel, err)
		return nil
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	c := content{r: f, ra: f, size: info.Size(), path: j.rel, arc: s.newArchiveBudget()}
	fs, err := s.scanContent(ctx, c, nil)
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, errArchiveTooBig), errors.Is(err, errArchiveTooMany):
		s.warn("stop scanning archive at its limit", j.rel, err)
	case err != nil:
		s.warn("skip unreadable file", j.rel, err)
	}
	return s.group(fs)
}

// content is one stream of bytes to scan: a file of the tree or a member
// of an archive.
type content struct {
	r io.Reader
	// ra, when set, reads the same bytes at random (files, not members);
	// zip archives need it.
	ra   io.ReaderAt
	size int64
	// path names the content in findings: "dir/a.zip!b/c.txt".
	path string
	// depth counts the archives around the content.
	depth int
	arc   *archiveBudget
}

// scanContent reads c, opens it if it is an archive, skips it if it is
// binary, and otherwise scans it as text, whole if it fits in a chunk and
// in overlapping chunks if not. It appends to out and returns it.
func (s *Scanner) scanContent(ctx context.Context, c content, out []pipeline.Finding) ([]pipeline.Finding, error) {
	bp := s.buffer()
	defer s.release(bp)
	buf := *bp
	n, eof, err := fill(c.r, buf)
	if err != nil {
		return out, err
	}
	head := buf[:min(n, sniffLen)]
	if kind := sniffArchive(head); kind != notArchive {
		return s.scanArchive(ctx, c, kind, buf[:n], eof, out)
	}
	if isBinary(head) {
		s.log.Debug("skip binary file", "path", c.path)
		return out, nil
	}
	src := &source{path: c.path}
	err = streamSpans(c.r, buf, n, eof, s.det.MaxLen(), func(sp span) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		out = s.spanFindings(sp, src, out)
		return nil
	})
	return out, err
}

// sniffLen is how much of a file is looked at to tell its type.
const sniffLen = 8 << 10

// isBinary reports whether head, the start of a file, belongs to a binary
// file: it holds a NUL byte or starts with the signature of a binary
// format that may lack an early NUL (images, executables, documents and
// compressed data other than the archives secpipe opens).
func isBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	magics := [...]string{
		"\x7fELF", "\xca\xfe\xba\xbe", "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe", "\xce\xfa\xed\xfe",
		"\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "GIF87a", "GIF89a", "%PDF-", "\xfd7zXZ", "\x28\xb5\x2f\xfd",
		"7z\xbc\xaf\x27\x1c", "Rar!\x1a\x07", "wOFF", "wOF2", "OggS", "fLaC",
	}
	for _, m := range magics {
		if len(head) >= len(m) && string(head[:len(m)]) == m {
			return true
		}
	}
	// bzip2: "BZh", a block size digit, then the block magic.
	return len(head) >= 10 && string(head[:3]) == "BZh" && string(head[4:10]) == "1AY&SY"
}

// isStateDir reports whether dir is the .secpipe folder `secpipe run`
// keeps inside a repository: its artifacts and logs are copies of the
// repository, whose findings the scan reports once, where they are.
func isStateDir(dir string, d fs.DirEntry) bool {
	if d.Name() != ".secpipe" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "state.db"))
	return err == nil
}
