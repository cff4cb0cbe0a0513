package rootfs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Limits of a tarball load. Only the files a Keep function asks for keep
// their contents, so memory follows what scanners read, not the image.
const (
	// maxKeptTotal bounds the contents kept from one tarball; past it,
	// reading a further file fails with "contents not loaded".
	maxKeptTotal = 256 << 20
	// maxTarEntries bounds the entries of one tarball.
	maxTarEntries = 4_000_000
	// maxZstdWindow bounds the memory a zstd frame may ask for (the
	// window of `zstd --long`).
	maxZstdWindow = 1 << 27
)

// Keep says whether a tarball or image load keeps the contents of the
// regular file e (its Path, Mode and Size are set). Contents not kept read
// as an error; the entry is listed either way. A nil Keep keeps nothing.
type Keep func(e Entry) bool

// KeepAny keeps a file when any of keeps does; nil functions are skipped.
func KeepAny(keeps ...Keep) Keep {
	return func(e Entry) bool {
		for _, k := range keeps {
			if k != nil && k(e) {
				return true
			}
		}
		return false
	}
}

// OpenTar loads the root filesystem tarball at file (plain, gzip or zstd,
// told apart by their first bytes) into memory, keeping the contents keep
// asks for. Errors name the file and the entry that was wrong.
func OpenTar(file string, keep Keep) (*MemRoot, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var magic [10]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("tarball %s: %w", file, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("tarball %s: %w", file, err)
	}
	if compression(magic[:n]) == "" {
		// A plain tar read straight from the file lets the reader seek
		// past the contents it does not keep.
		return loadTar(tar.NewReader(f), "tarball "+file, keep)
	}
	return LoadTar(f, file, keep)
}

// LoadTar reads a root filesystem tarball from r in one pass (plain, gzip
// or zstd, told apart by their first bytes) into a MemRoot. Every
// header becomes an entry, with its mode (setuid, setgid and sticky
// included), owner and symlink target; hard links become regular files
// sharing their target's contents; "./" prefixes are dropped; whiteout
// entries (".wh.*"), which only mean something in image layers, are left
// out. Only the contents of files keep asks for are kept. name is used in
// errors.
func LoadTar(r io.Reader, name string, keep Keep) (*MemRoot, error) {
	return loadStream(r, "tarball "+name, keep)
}

// loadStream decompresses r as its first bytes say and loads the tar
// stream; what names it in errors ("tarball x.tar").
func loadStream(r io.Reader, what string, keep Keep) (*MemRoot, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, _ := br.Peek(10)
	var src io.Reader = br
	switch compression(magic) {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", what, err)
		}
		defer zr.Close()
		src = zr
	case "zstd":
		zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("%s: zstd: %w", what, err)
		}
		defer zr.Close()
		src = zr
	case "bzip2", "xz":
		return nil, fmt.Errorf("%s: %s compression is not supported; decompress it or use gzip or zstd", what, compression(magic))
	}
	root, err := loadTar(tar.NewReader(src), what, keep)
	if err != nil {
		return nil, err
	}
	// Read past the end of the archive: a compressed stream checks its
	// checksum at its very end, and a flattened image reports a layer it
	// could not read after the archive it was writing ended.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("%s: after the last entry: %w", what, err)
	}
	return root, nil
}

// compression names the compression whose magic number starts b, or ""
// for none known (a plain tar).
func compression(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	case len(b) >= 10 && bytes.HasPrefix(b, []byte("BZh")) && b[3] >= '1' && b[3] <= '9' &&
		(string(b[4:10]) == "1AY&SY" || string(b[4:10]) == "\x17rE8P\x90"):
		return "bzip2"
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "xz"
	}
	return ""
}

// tarLoader gathers the entries and kept contents of one tarball.
type tarLoader struct {
	what     string // "tarball x.tar", for errors
	want     Keep
	entries  []Entry
	last     map[string]int // path → index of its latest entry
	contents map[string][]byte
	kept     int64
	// pending holds hard links met before their target (an image
	// flattened top layer first lists upper layers' links before lower
	// layers' files): target → indices of the links' entries.
	pending map[string][]int
}

func loadTar(tr *tar.Reader, what string, keep Keep) (*MemRoot, error) {
	if keep == nil {
		keep = func(Entry) bool { return false }
	}
	l := &tarLoader{what: what, want: keep, last: map[string]int{}, contents: map[string][]byte{}, pending: map[string][]int{}}
	prev := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, l.errorAfter(prev, err)
		}
		if len(l.entries) >= maxTarEntries {
			return nil, fmt.Errorf("%s: more than %d entries", what, maxTarEntries)
		}
		if err := l.add(hdr, tr); err != nil {
			return nil, err
		}
		prev = hdr.Name
	}
	if len(l.entries) == 0 && prev == "" {
		return nil, fmt.Errorf("%s: no entries (empty or not a tar archive)", what)
	}
	// A hard link whose target never came stays in the listing, but as
	// an irregular file: its contents are unknown.
	for _, links := range l.pending {
		for _, i := range links {
			l.entries[i].Mode |= fs.ModeIrregular
		}
	}
	return NewMemRoot(l.entries, l.contents), nil
}

func (l *tarLoader) errorAfter(prev string, err error) error {
	if prev == "" {
		return fmt.Errorf("%s: first entry: %w", l.what, err)
	}
	return fmt.Errorf("%s: entry after %q: %w", l.what, prev, err)
}

// add records one header and, when wanted, the contents that follow it.
func (l *tarLoader) add(hdr *tar.Header, tr io.Reader) error {
	p := cleanPath(hdr.Name)
	if p == "" || hdr.Typeflag == tar.TypeXGlobalHeader || strings.HasPrefix(path.Base(p), ".wh.") {
		return nil
	}
	delete(l.contents, p)
	e := Entry{Path: p, Mode: tarMode(hdr), UID: hdr.Uid, GID: hdr.Gid}
	switch {
	case hdr.Typeflag == tar.TypeLink:
		l.addLink(e, cleanPath(hdr.Linkname))
		return nil
	case e.Mode.IsRegular():
		e.Size = hdr.Size
		if err := l.keep(e, tr); err != nil {
			return err
		}
		l.resolvePending(e)
	case e.Mode&fs.ModeSymlink != 0:
		e.Link = hdr.Linkname
	}
	l.append(e)
	return nil
}

func (l *tarLoader) append(e Entry) {
	l.last[e.Path] = len(l.entries)
	l.entries = append(l.entries, e)
}

// keep reads the contents of the regular file e when a scanner may read
// it under its own name or a hard link's.
func (l *tarLoader) keep(e Entry, tr io.Reader) error {
	p, size := e.Path, e.Size
	want := l.want(e)
	for _, i := range l.pending[p] {
		link := e
		link.Path = l.entries[i].Path
		want = want || l.want(link)
	}
	if !want || size < 0 || l.kept+size > maxKeptTotal {
		return nil
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(tr, b); err != nil {
		return fmt.Errorf("%s: entry %q: %w", l.what, p, err)
	}
	l.kept += size
	l.contents[p] = b
	return nil
}

// addLink records a hard link: a second name for its target, with the
// same metadata and contents. A link to a directory, which no file
// system allows, is listed as an irregular file.
func (l *tarLoader) addLink(e Entry, target string) {
	i, ok := l.last[target]
	if !ok {
		l.pending[target] = append(l.pending[target], len(l.entries))
		l.append(e) // completed by resolvePending
		return
	}
	t := l.entries[i]
	if t.Mode.IsDir() {
		t.Mode = t.Mode&fs.ModePerm | fs.ModeIrregular
	}
	t.Path = e.Path
	l.append(t)
	if b, ok := l.contents[target]; ok {
		l.contents[e.Path] = b
	}
}

// resolvePending completes the hard links that named target before it
// came.
func (l *tarLoader) resolvePending(target Entry) {
	links := l.pending[target.Path]
	delete(l.pending, target.Path)
	for _, i := range links {
		e := target
		e.Path = l.entries[i].Path
		l.entries[i] = e
		if b, ok := l.contents[target.Path]; ok && l.last[e.Path] == i {
			l.contents[e.Path] = b
		}
	}
}

// cleanPath normalises an archive path the way MemRoot keys it:
// "./etc/x", "/etc/x" and "etc//x" all become "etc/x"; "." becomes "".
func cleanPath(p string) string {
	return strings.Trim(path.Clean("/"+p), "/")
}

// tarMode maps a header's type flag and mode bits to an fs.FileMode.
func tarMode(hdr *tar.Header) fs.FileMode {
	m := fs.FileMode(hdr.Mode & 0o777)
	if hdr.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if hdr.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if hdr.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch hdr.Typeflag {
	case tar.TypeReg, '\x00', tar.TypeGNUSparse, tar.TypeCont, tar.TypeLink:
	case tar.TypeDir:
		m |= fs.ModeDir
	case tar.TypeSymlink:
		m |= fs.ModeSymlink
	case tar.TypeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case tar.TypeBlock:
		m |= fs.ModeDevice
	case tar.TypeFifo:
		m |= fs.ModeNamedPipe
	default:
		m |= fs.ModeIrregular
	}
	return m
}
