package jobhttp

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Default limits of an archive Extract accepts.
const (
	// DefaultMaxArchiveBytes bounds the contents of the files of one
	// archive.
	DefaultMaxArchiveBytes = 1 << 30
	// DefaultMaxArchiveEntries bounds its files, directories and links.
	DefaultMaxArchiveEntries = 100_000
)

// maxNameLen bounds the name of an entry (PATH_MAX on Linux), and
// maxDepth its elements: every write through an os.Root walks the name
// element by element, so deep names cost time.
const (
	maxNameLen = 4096
	maxDepth   = 128
)

// ArchiveLimits bound what Extract writes; zero fields take the defaults.
type ArchiveLimits struct {
	MaxBytes   int64
	MaxEntries int
}

func (l ArchiveLimits) withDefaults() ArchiveLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxArchiveBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxArchiveEntries
	}
	return l
}

// streamCap bounds the decompressed stream: the contents plus generous
// room for the headers and padding of every entry.
func (l ArchiveLimits) streamCap() int64 {
	return l.MaxBytes + int64(l.MaxEntries)*8<<10 + 1<<20
}

// errTooLarge marks an archive over its limits (HTTP 413).
var errTooLarge = fmt.Errorf("%w archive: over the limits", pipeline.ErrInvalid)

// WriteArchive writes the tree under dir to w as a gzip-compressed tar:
// directories, regular files and symbolic links (as they are), with
// slash-separated names relative to dir and their permission bits; owners
// and times are not kept. Other file types (devices, sockets, pipes) are
// an error wrapping pipeline.ErrInvalid; ctx is checked between files.
func WriteArchive(ctx context.Context, w io.Writer, dir string) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		return writeEntry(tw, p, filepath.ToSlash(rel), d)
	})
	if err != nil {
		return fmt.Errorf("archive %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("archive %s: %w", dir, err)
	}
	return zw.Close()
}

// writeEntry writes the file at p as the entry name.
func writeEntry(tw *tar.Writer, p, name string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	h := &tar.Header{Name: name, Mode: int64(info.Mode().Perm())}
	switch m := info.Mode(); {
	case m.IsDir():
		h.Typeflag, h.Name = tar.TypeDir, name+"/"
	case m.IsRegular():
		h.Typeflag, h.Size = tar.TypeReg, info.Size()
	case m&fs.ModeSymlink != 0:
		if h.Linkname, err = os.Readlink(p); err != nil {
			return err
		}
		h.Typeflag, h.Mode = tar.TypeSymlink, 0o777
	default:
		return fmt.Errorf("%w %s: a %s cannot go in an artifact", pipeline.ErrInvalid, name, m.Type())
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	// A file that grew since its size was read is cut at that size; one
	// that shrank fails the write.
	_, err = io.Copy(tw, io.LimitReader(f, h.Size))
	return err
}

// Extract recreates under dir (created if needed) the gzip-compressed tar
// r holds: directories, regular files and symbolic links. It is made for
// archives from untrusted senders: every write goes through an os.Root at
// dir; a name that is absolute, holds "..", or passes through a symbolic
// link, a link whose target is absolute or leaves dir, a hard link or
// special file, and an archive over lim are refused. Files get their
// permission bits with the owner's read and write added (directories
// also the owner's search), so the tree can always be removed.
//
// Errors wrap pipeline.ErrInvalid for a malformed or refused archive (an
// archive over lim also matches IsTooLarge); an error reading r itself is
// returned as it is, so a caller can tell a broken transfer from a bad
// archive. A failed Extract may leave part of the tree behind.
func Extract(ctx context.Context, r io.Reader, dir string, lim ArchiveLimits) error {
	lim = lim.withDefaults()
	src := &sourceReader{r: r}
	err := extract(ctx, src, dir, lim)
	if err != nil && src.err != nil {
		return &readError{err: src.err}
	}
	return err
}

// readError is Extract's error when reading its source failed: a broken
// transfer rather than a bad archive.
type readError struct{ err error }

func (e *readError) Error() string { return "read archive: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// isReadError reports whether err is a failure to read an archive's source.
func isReadError(err error) bool {
	var re *readError
	return errors.As(err, &re)
}

// IsTooLarge reports whether err is Extract's refusal of an archive over
// its limits.
func IsTooLarge(err error) bool { return errors.Is(err, errTooLarge) }

func extract(ctx context.Context, r io.Reader, dir string, lim ArchiveLimits) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return invalidArchive(err)
	}
	defer zr.Close()
	capped := &cappedReader{r: zr, left: lim.streamCap(), max: lim.streamCap()}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{root: root, lim: lim, dirs: map[string]fs.FileMode{}, real: map[string]bool{}}
	tr := tar.NewReader(capped)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return invalidArchive(err)
		}
		if err := x.entry(h, tr); err != nil {
			return err
		}
	}
	// Drain what follows the end marker, so a truncated gzip stream is
	// caught by its checksum.
	if _, err := io.Copy(io.Discard, capped); err != nil {
		return invalidArchive(err)
	}
	return x.finish()
}

// invalidArchive wraps a decoding error as a refusal of the archive,
// unless it is the cap on the stream.
func invalidArchive(err error) error {
	if errors.Is(err, errTooLarge) {
		return err
	}
	return fmt.Errorf("%w archive: %v", pipeline.ErrInvalid, err)
}

// extractor is the state of one Extract.
type extractor struct {
	root    *os.Root
	lim     ArchiveLimits
	entries int
	written int64
	// dirs holds the permission bits of every directory entry, set last.
	dirs map[string]fs.FileMode
	// real holds the directories known to be real directories (never
	// replaced: a file or link over a directory is refused).
	real map[string]bool
}

// entry writes one header and its contents.
func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	if x.entries++; x.entries > x.lim.MaxEntries {
		return fmt.Errorf("%w: more than %d entries", errTooLarge, x.lim.MaxEntries)
	}
	name, err := entryName(h.Name)
	if err != nil {
		return err
	}
	if name == "." {
		if h.Typeflag == tar.TypeDir {
			return nil
		}
		return fmt.Errorf("%w archive: entry %q names the root", pipeline.ErrInvalid, h.Name)
	}
	if err := x.parents(name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch h.Typeflag {
	case tar.TypeDir:
		err = x.dir(name, fs.FileMode(h.Mode).Perm())
	case tar.TypeReg:
		err = x.file(name, fs.FileMode(h.Mode).Perm(), h.Size, r)
	case tar.TypeSymlink:
		err = x.symlink(name, h.Linkname)
	default:
		err = fmt.Errorf("%w archive: a %s is not a directory, file or symbolic link", pipeline.ErrInvalid, typeName(h.Typeflag))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// typeName names the tar entry types Extract refuses.
func typeName(t byte) string {
	switch t {
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe"
	}
	return fmt.Sprintf("entry of type %q", t)
}

// entryName checks an entry's name and returns it cleaned, with native
// separators.
func entryName(name string) (string, error) {
	if name == "" || len(name) > maxNameLen || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w archive: entry name %q is empty, too long or holds NUL", pipeline.ErrInvalid, name)
	}
	if path.IsAbs(name) || strings.HasPrefix(name, `\`) {
		return "", fmt.Errorf("%w archive: entry %q has an absolute name", pipeline.ErrInvalid, name)
	}
	elems := strings.Split(name, "/")
	if slices.Contains(elems, "..") {
		return "", fmt.Errorf("%w archive: entry %q holds \"..\"", pipeline.ErrInvalid, name)
	}
	if len(elems) > maxDepth {
		return "", fmt.Errorf("%w archive: entry %q is more than %d directories deep", pipeline.ErrInvalid, name, maxDepth)
	}
	return filepath.FromSlash(path.Clean(name)), nil
}

// parents creates the missing parent directories of name and refuses a
// parent that is not a real directory (a link would move the entry, and
// the meaning of its own links' targets, elsewhere).
func (x *extractor) parents(name string) error {
	dir := filepath.Dir(name)
	if dir == "." || x.real[dir] {
		return nil
	}
	p := ""
	for _, part := range strings.Split(dir, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		if x.real[p] {
			continue
		}
		fi, err := x.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			err = x.root.Mkdir(p, 0o755)
		case err == nil && !fi.IsDir():
			err = fmt.Errorf("%w archive: parent %s is not a directory", pipeline.ErrInvalid, p)
		}
		if err != nil {
			return err
		}
		x.real[p] = true
	}
	return nil
}

func (x *extractor) dir(name string, perm fs.FileMode) error {
	err := x.root.Mkdir(name, 0o700)
	if errors.Is(err, fs.ErrExist) {
		var fi fs.FileInfo
		if fi, err = x.root.Lstat(name); err == nil && !fi.IsDir() {
			err = fmt.Errorf("%w archive: a file or link is in the way of the directory", pipeline.ErrInvalid)
		}
	}
	if err != nil {
		return err
	}
	x.dirs[name], x.real[name] = perm|0o700, true
	return x.root.Chmod(name, 0o700)
}

func (x *extractor) file(name string, perm fs.FileMode, size int64, r io.Reader) error {
	if size < 0 || size > x.lim.MaxBytes-x.written {
		return fmt.Errorf("%w: files larger than %d bytes in all", errTooLarge, x.lim.MaxBytes)
	}
	if err := x.removeNonDir(name); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	x.written += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return invalidArchive(err)
	}
	return x.root.Chmod(name, perm|0o600)
}

// symlink creates a link whose target stays inside the tree: relative,
// with its ".." elements (only at the start) not climbing above the root
// from the link's directory.
func (x *extractor) symlink(name, target string) error {
	if target == "" || len(target) > maxNameLen || path.IsAbs(target) || strings.ContainsRune(target, 0) {
		return fmt.Errorf("%w archive: link target %q is empty, too long or absolute", pipeline.ErrInvalid, target)
	}
	up, rest := 0, false
	for _, el := range strings.Split(target, "/") {
		switch {
		case el == ".." && rest:
			return fmt.Errorf("%w archive: link target %q climbs after descending", pipeline.ErrInvalid, target)
		case el == "..":
			up++
		case el != "" && el != ".":
			rest = true
		}
	}
	depth := len(strings.Split(filepath.ToSlash(filepath.Dir(name)), "/"))
	if filepath.Dir(name) == "." {
		depth = 0
	}
	if up > depth {
		return fmt.Errorf("%w archive: link target %q leaves the tree", pipeline.ErrInvalid, target)
	}
	if err := x.removeNonDir(name); err != nil {
		return err
	}
	return x.root.Symlink(target, name)
}

// removeNonDir removes name when it exists and is not a directory.
func (x *extractor) removeNonDir(name string) error {
	fi, err := x.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%w archive: a directory is in the way", pipeline.ErrInvalid)
	}
	return x.root.Remove(name)
}

// finish sets the directories' modes, deepest first, so a read-only
// directory does not stop its contents from being written.
func (x *extractor) finish() error {
	names := make([]string, 0, len(x.dirs))
	for n := range x.dirs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range slices.Backward(names) {
		if err := x.root.Chmod(n, x.dirs[n]); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	return nil
}

// sourceReader remembers an error of the reader it wraps, other than EOF.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// cappedReader fails with errTooLarge when asked for more than max bytes.
type cappedReader struct {
	r         io.Reader
	left, max int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("%w: the archive expands past %d bytes", errTooLarge, c.max)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
