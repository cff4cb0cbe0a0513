package rootfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FS returns r as an io/fs file system, for libraries that read through
// one (the package extractors). Names are unrooted and slash-separated as
// io/fs demands ("etc/os-release", "." for the root); symlinks are resolved
// inside the root as ReadFile does, and Lstat and ReadLink show them
// unresolved. The result also implements fs.ReadDirFS, fs.StatFS,
// fs.ReadFileFS and fs.ReadLinkFS.
//
// A file opened from a DirRoot streams from disk through the root's
// directory handle, with no size limit, and implements io.ReaderAt and
// io.Seeker; one opened from a MemRoot reads its kept contents (a
// bytes.Reader) or fails to open with the MemRoot's "contents not loaded"
// error. Any other Root is read whole with its ReadFile. File information
// comes from the root's entries (no modification times). The file system
// is safe for concurrent use when r is.
func FS(r Root) fs.FS { return rootFS{r: r} }

// rootFS is the io/fs view of a Root.
type rootFS struct{ r Root }

var (
	_ fs.ReadDirFS  = rootFS{}
	_ fs.StatFS     = rootFS{}
	_ fs.ReadFileFS = rootFS{}
	_ fs.ReadLinkFS = rootFS{}
)

// resolve checks name and follows its symlinks; "" is the root.
func (f rootFS) resolve(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return "", nil
	}
	real, err := Resolve(f.r, name)
	if err != nil {
		return "", &fs.PathError{Op: op, Path: name, Err: unwrapPath(err)}
	}
	return real, nil
}

// unwrapPath drops a PathError's own path so the caller names the path
// it was given.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// entry returns the entry of a resolved path (the root for "").
func (f rootFS) entry(op, name, real string) (Entry, error) {
	if real == "" {
		return Entry{Path: ".", Mode: fs.ModeDir | 0o755}, nil
	}
	e, ok := f.r.Lookup(real)
	if !ok {
		return Entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

// Stat returns the information of the file name names, following symlinks.
func (f rootFS) Stat(name string) (fs.FileInfo, error) {
	real, err := f.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	e, err := f.entry("stat", name, real)
	if err != nil {
		return nil, err
	}
	return entryInfo{e: e, name: path.Base(name)}, nil
}

// Lstat returns the information of name without following a final
// symlink.
func (f rootFS) Lstat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return f.Stat(name)
	}
	dir, err := f.resolve("lstat", path.Dir(name))
	if err != nil {
		return nil, err
	}
	e, ok := f.r.Lookup(path.Join(dir, path.Base(name)))
	if !ok {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
	}
	return entryInfo{e: e, name: path.Base(name)}, nil
}

// ReadLink returns the target of the symlink name, as stored.
func (f rootFS) ReadLink(name string) (string, error) {
	fi, err := f.Lstat(name)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: unwrapPath(err)}
	}
	e := fi.(entryInfo).e
	if e.Mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return e.Link, nil
}

// ReadDir lists the directory name names, sorted by name. Symlinks in it
// are listed as symlinks.
func (f rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	real, err := f.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	e, err := f.entry("readdir", name, real)
	if err != nil {
		return nil, err
	}
	if !e.Mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	return f.list(real), nil
}

// list returns the entries of the resolved directory real.
func (f rootFS) list(real string) []fs.DirEntry {
	var children []Entry
	if real == "" {
		for _, e := range f.r.Entries() {
			if !strings.Contains(e.Path, "/") {
				children = append(children, e)
			}
		}
	} else {
		children = Dir(f.r, real)
	}
	out := make([]fs.DirEntry, len(children))
	for i, c := range children {
		out[i] = fs.FileInfoToDirEntry(entryInfo{e: c, name: path.Base(c.Path)})
	}
	return out
}

// ReadFile returns the contents of the regular file name names.
func (f rootFS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if r, ok := file.(*memFile); ok {
		return bytes.Clone(r.data), nil
	}
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + 1)
	if _, err := buf.ReadFrom(file); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return buf.Bytes(), nil
}

// Open opens the file name names, following symlinks: a directory (its
// ReadDir lists it) or a regular file.
func (f rootFS) Open(name string) (fs.File, error) {
	real, err := f.resolve("open", name)
	if err != nil {
		return nil, err
	}
	e, err := f.entry("open", name, real)
	if err != nil {
		return nil, err
	}
	info := entryInfo{e: e, name: path.Base(name)}
	switch {
	case e.Mode.IsDir():
		return &dirFile{info: info, list: f.list(real)}, nil
	case !e.Mode.IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a regular file or directory")}
	}
	if d, ok := f.r.(*DirRoot); ok {
		return openDisk(d, name, real, info)
	}
	data, err := f.r.ReadFile(real)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	return &memFile{Reader: bytes.NewReader(data), data: data, info: info}, nil
}

// openDisk opens the regular file real of d through its directory handle.
func openDisk(d *DirRoot, name, real string, info entryInfo) (fs.File, error) {
	// As in DirRoot.ReadFile: the os.Root keeps the open inside the
	// directory, and O_NONBLOCK keeps a swapped-in FIFO from blocking.
	file, err := d.root.OpenFile(filepath.FromSlash(real), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		file.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	return &diskFile{File: file, info: info}, nil
}

// entryInfo is the fs.FileInfo of an Entry, under the name it was asked by.
type entryInfo struct {
	e    Entry
	name string
}

func (i entryInfo) Name() string       { return i.name }
func (i entryInfo) Size() int64        { return i.e.Size }
func (i entryInfo) Mode() fs.FileMode  { return i.e.Mode }
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.e.Mode.IsDir() }
func (i entryInfo) Sys() any           { return nil }

// diskFile is a regular file of a DirRoot, streamed from disk; Stat
// answers from the entry so that it agrees with ReadDir.
type diskFile struct {
	*os.File
	info entryInfo
}

func (f *diskFile) Stat() (fs.FileInfo, error) { return f.info, nil }

// memFile is a regular file read from kept contents.
type memFile struct {
	*bytes.Reader
	data []byte
	info entryInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

// dirFile is an open directory.
type dirFile struct {
	info entryInfo
	list []fs.DirEntry
	off  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: syscall.EISDIR}
}

// ReadDir returns the next n entries, or all remaining ones when n <= 0.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.list[d.off:]
	if n <= 0 {
		d.off = len(d.list)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
