package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// MaxReadSize is the largest file a DirRoot reads: configuration files are
// small, and a larger one is refused rather than loaded into memory.
const MaxReadSize = 16 << 20

// maxWalkProblems bounds the walk errors a DirRoot keeps for its caller.
const maxWalkProblems = 20

// DirRoot is a Root over a directory on disk: an unpacked root filesystem
// or a source tree. Its entries are gathered by one walk, on first use,
// with the metadata of each file itself (symlinks are never followed);
// ReadFile resolves symlinks inside the directory as a chroot would, so
// an absolute link such as /etc/alternatives/x names a file under the
// directory, never one of the host. A DirRoot is safe for concurrent use.
type DirRoot struct {
	dir  string // as given
	real string // dir with symlinks resolved, where the walk starts
	skip map[string]bool
	root *os.Root
	dev  uint64 // real's device, to notice mounted pseudo filesystems

	once     sync.Once
	entries  []Entry
	byPath   map[string]int
	problems []error
}

var _ Root = (*DirRoot)(nil)

// NewDirRoot returns a root over dir. Directories named in skip (base
// names such as ".git") are left out of the walk, with everything under
// them; they are still listed themselves. It fails when dir is not a
// directory, wrapping fs.ErrNotExist when it is missing.
func NewDirRoot(dir string, skip ...string) (*DirRoot, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: errors.New("not a directory")}
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	d := &DirRoot{dir: dir, real: real, root: root, skip: map[string]bool{}}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		d.dev = st.Dev
	}
	for _, s := range skip {
		d.skip[s] = true
	}
	return d, nil
}

// SourceSkip lists the directories a source tree's walk leaves out: version
// control data and installed dependencies, which are not the project's own
// configuration.
func SourceSkip() []string { return []string{".git", "node_modules"} }

// Dir returns the directory the root reads.
func (d *DirRoot) Dir() string { return d.dir }

// Entries returns every entry sorted by path, walking the directory on
// first use.
func (d *DirRoot) Entries() []Entry {
	d.load()
	return d.entries
}

// Lookup returns the entry at p without following symlinks, neither the
// final one nor any on the way: like a MemRoot, it answers only for paths
// the walk listed.
func (d *DirRoot) Lookup(p string) (Entry, bool) {
	d.load()
	i, ok := d.byPath[strings.Trim(path.Clean("/"+p), "/")]
	if !ok {
		return Entry{}, false
	}
	return d.entries[i], true
}

// Problems returns the errors met while walking (unreadable directories,
// at most a few), so callers can say what the entries may be missing.
func (d *DirRoot) Problems() []error {
	d.load()
	return d.problems
}

// ReadFile resolves p inside the root and reads the regular file it names.
// It refuses files larger than MaxReadSize.
func (d *DirRoot) ReadFile(p string) ([]byte, error) {
	real, err := Resolve(d, p)
	if err != nil {
		return nil, err
	}
	e, _ := d.Lookup(real)
	if !e.Mode.IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: p, Err: errors.New("not a regular file")}
	}
	// The os.Root keeps the read inside the directory even if the tree
	// changed since the walk (a component swapped for a symlink), and
	// O_NONBLOCK keeps a file swapped for a FIFO from blocking the open.
	f, err := d.root.OpenFile(filepath.FromSlash(real), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, p)
}

// readLimited reads f whole, refusing more than MaxReadSize bytes.
func readLimited(f *os.File, name string) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("not a regular file")}
	}
	tooBig := &fs.PathError{Op: "read", Path: name,
		Err: fmt.Errorf("file is larger than the %d bytes read for a configuration file", MaxReadSize)}
	if fi.Size() > MaxReadSize {
		return nil, tooBig
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + 1)
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxReadSize+1)); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if buf.Len() > MaxReadSize {
		return nil, tooBig
	}
	return buf.Bytes(), nil
}

// Close releases the directory handle ReadFile reads through. The root
// must not be used afterwards.
func (d *DirRoot) Close() error { return d.root.Close() }

// load walks the directory once.
func (d *DirRoot) load() {
	d.once.Do(func() {
		d.byPath = map[string]int{}
		d.walk()
		sort.Slice(d.entries, func(i, j int) bool { return d.entries[i].Path < d.entries[j].Path })
		for i, e := range d.entries {
			d.byPath[e.Path] = i
		}
	})
}

func (d *DirRoot) walk() {
	pseudo := map[uint64]bool{d.dev: false}
	err := filepath.WalkDir(d.real, func(name string, de fs.DirEntry, err error) error {
		if err != nil {
			d.problem(err)
			if name == d.real {
				return err
			}
			return nil // the directory's entry was added; its contents are unreadable
		}
		if name == d.real {
			return nil
		}
		rel, err := filepath.Rel(d.real, name)
		if err != nil {
			d.problem(err)
			return nil
		}
		e, dev, err := dirEntry(name, filepath.ToSlash(rel), de)
		if err != nil {
			d.problem(err)
			return nil
		}
		d.entries = append(d.entries, e)
		if de.IsDir() && (d.skip[de.Name()] || isPseudoFS(name, dev, pseudo)) {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil && len(d.problems) == 0 {
		d.problem(err)
	}
}

func (d *DirRoot) problem(err error) {
	if len(d.problems) < maxWalkProblems {
		d.problems = append(d.problems, err)
	}
}

// dirEntry turns the lstat metadata of name into an Entry.
// It also returns the device the file is on.
func dirEntry(name, rel string, de fs.DirEntry) (Entry, uint64, error) {
	fi, err := de.Info()
	if err != nil {
		return Entry{}, 0, err
	}
	e := Entry{Path: rel, Mode: fi.Mode(), Size: fi.Size()}
	var dev uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID, dev = int(st.Uid), int(st.Gid), st.Dev
	}
	if e.Mode&fs.ModeSymlink != 0 {
		if e.Link, err = os.Readlink(name); err != nil {
			return Entry{}, 0, err
		}
	}
	if !e.Mode.IsRegular() {
		e.Size = 0
	}
	return e, dev, nil
}

// isPseudoFS reports whether the directory name, on device dev, is the
// mount point of a kernel filesystem (proc, sysfs, cgroup, devpts…), as in
// a live system's root: its files describe the running kernel, not the
// image, so the walk lists the directory but does not enter it. known
// caches the answer per device.
func isPseudoFS(name string, dev uint64, known map[uint64]bool) bool {
	if p, ok := known[dev]; ok {
		return p
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(name, &st); err != nil {
		return false
	}
	switch uint64(st.Type) {
	case 0x9fa0, // proc
		0x62656572, // sysfs
		0x1cd1,     // devpts
		0x27e0eb,   // cgroup
		0x63677270, // cgroup2
		0x64626720, // debugfs
		0x74726163, // tracefs
		0x73636673, // securityfs
		0xcafe4a11, // bpf
		0x6e736673, // nsfs
		0x42494e4d, // binfmt_misc
		0x19800202, // mqueue
		0xf97cff8c: // selinuxfs
		known[dev] = true
	default:
		known[dev] = false
	}
	return known[dev]
}
