package secrets

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// archiveKind is an archive format secpipe opens.
type archiveKind int

const (
	notArchive archiveKind = iota
	zipArchive
	tarArchive
	gzipArchive
)

// tarMagicOffset is where a POSIX or GNU tar header holds "ustar".
const tarMagicOffset = 257

// sniffArchive tells an archive from its first bytes, whatever its name.
func sniffArchive(head []byte) archiveKind {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return zipArchive
	case bytes.HasPrefix(head, []byte("\x1f\x8b\x08")):
		return gzipArchive
	case len(head) >= tarMagicOffset+5 && string(head[tarMagicOffset:tarMagicOffset+5]) == "ustar":
		return tarArchive
	}
	return notArchive
}

// archiveBudget bounds the work spent on one file of the tree and the
// archives nested in it. It is used by one goroutine at a time.
type archiveBudget struct {
	// left is how many more bytes decompressors may produce.
	left int64
	// members is how many more members may be read.
	members int
}

func (s *Scanner) newArchiveBudget() *archiveBudget {
	return &archiveBudget{left: s.cfg.MaxArchiveBytes, members: s.cfg.MaxArchiveMembers}
}

// Errors that stop the scan of a file's archives (but not of the tree).
var (
	errArchiveTooBig     = errors.New("archive decompresses to more than the size limit")
	errArchiveTooMany    = errors.New("archive holds more members than the limit")
	errArchiveCorruption = errors.New("corrupt archive")
)

// budgetReader counts the bytes a decompressor produces against a budget
// and fails once the budget is spent.
type budgetReader struct {
	r io.Reader
	b *archiveBudget
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if r.b.left <= 0 {
		// At the limit: fine if the stream ends here too.
		var one [1]byte
		n, err := r.r.Read(one[:])
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, errArchiveTooBig
	}
	if int64(len(p)) > r.b.left {
		p = p[:r.b.left]
	}
	n, err := r.r.Read(p)
	r.b.left -= int64(n)
	return n, err
}

// scanArchive opens c, an archive whose first bytes are head (all of it
// when eof), and scans its members. A corrupt archive is logged and left;
// exceeding a budget ends the scan of the whole file with an error.
func (s *Scanner) scanArchive(ctx context.Context, c content, kind archiveKind, head []byte, eof bool, out []pipeline.Finding) ([]pipeline.Finding, error) {
	if s.cfg.MaxArchiveDepth < 0 || c.depth >= s.cfg.MaxArchiveDepth {
		s.log.Debug("skip archive nested too deep", "path", c.path)
		return out, nil
	}
	r := io.Reader(bytes.NewReader(head))
	if !eof {
		r = io.MultiReader(r, c.r)
	}
	var err error
	switch kind {
	case zipArchive:
		out, err = s.scanZip(ctx, c, r, head, eof, out)
	case tarArchive:
		out, err = s.scanTar(ctx, c, r, out)
	case gzipArchive:
		out, err = s.scanGzip(ctx, c, r, out)
	}
	if errors.Is(err, errArchiveCorruption) {
		s.warn("skip rest of corrupt archive", c.path, err)
		return out, nil
	}
	return out, err
}

// member returns the content of an archive member named name.
func (c content) member(name string, r io.Reader, size int64) content {
	name = strings.TrimLeft(path.Clean("/"+strings.ReplaceAll(name, `\`, "/")), "/")
	return content{r: r, size: size, path: c.path + "!" + name, depth: c.depth + 1, arc: c.arc}
}

// scanMember scans one member after checking the budgets and exclusions.
func (s *Scanner) scanMember(ctx context.Context, m content, out []pipeline.Finding) ([]pipeline.Finding, error) {
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if m.arc.members--; m.arc.members < 0 {
		return out, errArchiveTooMany
	}
	if s.excluded(m.path) {
		return out, nil
	}
	return s.scanContent(ctx, m, out)
}

// scanZip scans the members of a zip archive. Zip needs random access:
// a file of the tree is read in place, a nested archive from memory if it
// fits in one chunk and from a temporary file if not.
func (s *Scanner) scanZip(ctx context.Context, c content, r io.Reader, head []byte, eof bool, out []pipeline.Finding) ([]pipeline.Finding, error) {
	ra, size := c.ra, c.size
	switch {
	case ra != nil:
	case eof:
		ra, size = bytes.NewReader(head), int64(len(head))
	default:
		f, err := os.CreateTemp("", "secpipe-*.zip")
		if err != nil {
			return out, fmt.Errorf("spool %s: %w", c.path, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if size, err = io.Copy(f, io.LimitReader(r, s.cfg.MaxArchiveBytes+1)); err != nil {
			return out, fmt.Errorf("spool %s: %w", c.path, err)
		}
		if size > s.cfg.MaxArchiveBytes {
			return out, errArchiveTooBig
		}
		ra = f
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return out, fmt.Errorf("%w: %w", errArchiveCorruption, err)
	}
	for _, f := range zr.File {
		if !f.Mode().IsRegular() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			s.warn("skip unreadable archive member", c.path+"!"+f.Name, err)
			continue
		}
		m := c.member(f.Name, &budgetReader{r: rc, b: c.arc}, int64(f.UncompressedSize64))
		out, err = s.scanMember(ctx, m, out)
		rc.Close()
		if errors.Is(err, errArchiveTooBig) || errors.Is(err, errArchiveTooMany) || ctx.Err() != nil {
			return out, err
		}
		if err != nil {
			s.warn("skip unreadable archive member", m.path, err)
		}
	}
	return out, nil
}

// scanTar scans the regular members of a tar stream.
func (s *Scanner) scanTar(ctx context.Context, c content, r io.Reader, out []pipeline.Finding) ([]pipeline.Finding, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if errors.Is(err, errArchiveTooBig) {
				return out, err
			}
			return out, fmt.Errorf("%w: %w", errArchiveCorruption, err)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeGNUSparse {
			continue
		}
		out, err = s.scanMember(ctx, c.member(h.Name, tr, h.Size), out)
		if errors.Is(err, errArchiveTooBig) || errors.Is(err, errArchiveTooMany) || ctx.Err() != nil {
			return out, err
		}
		if err != nil {
			return out, fmt.Errorf("%w: %w", errArchiveCorruption, err)
		}
	}
}

// scanGzip decompresses a gzip stream. A compressed tar (.tar.gz, .tgz)
// counts as one archive: its members sit one level below c. Any other
// content is one member, named after the stored name or c without ".gz".
func (s *Scanner) scanGzip(ctx context.Context, c content, r io.Reader, out []pipeline.Finding) ([]pipeline.Finding, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return out, fmt.Errorf("%w: %w", errArchiveCorruption, err)
	}
	br := bufio.NewReaderSize(&budgetReader{r: zr, b: c.arc}, 4096)
	head, err := br.Peek(tarMagicOffset + 5)
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, errArchiveTooBig) {
			return out, err
		}
		return out, fmt.Errorf("%w: %w", errArchiveCorruption, err)
	}
	if sniffArchive(head) == tarArchive {
		return s.scanTar(ctx, c, br, out)
	}
	name := zr.Name
	if name == "" {
		name = strings.TrimSuffix(path.Base(c.path[strings.LastIndexByte(c.path, '!')+1:]), ".gz")
	}
	out, err = s.scanMember(ctx, c.member(name, br, -1), out)
	if err != nil && !errors.Is(err, errArchiveTooBig) && !errors.Is(err, errArchiveTooMany) && ctx.Err() == nil {
		return out, fmt.Errorf("%w: %w", errArchiveCorruption, err)
	}
	return out, err
}
