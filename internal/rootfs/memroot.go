package rootfs

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// maxLinks bounds symlink resolution, as the kernel does (ELOOP).
const maxLinks = 40

// MemRoot is a Root held in memory: entries for every file and the
// contents of the files checks read. Tarballs, OCI images and test
// fixtures load into one.
type MemRoot struct {
	entries  []Entry
	byPath   map[string]int
	contents map[string][]byte
}

var _ Root = (*MemRoot)(nil)

// NewMemRoot builds a root from entries and the contents of some of their
// regular files (keyed by path). Parent directories missing from entries
// are added (mode 0755, root-owned). A later entry for the same path
// replaces an earlier one.
func NewMemRoot(entries []Entry, contents map[string][]byte) *MemRoot {
	m := &MemRoot{byPath: map[string]int{}, contents: contents}
	if m.contents == nil {
		m.contents = map[string][]byte{}
	}
	for _, e := range entries {
		e.Path = strings.Trim(path.Clean("/"+e.Path), "/")
		if e.Path == "" {
			continue
		}
		m.add(e)
		for d := path.Dir(e.Path); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := m.byPath[d]; ok {
				break
			}
			m.add(Entry{Path: d, Mode: fs.ModeDir | 0o755})
		}
	}
	sort.Slice(m.entries, func(i, j int) bool { return m.entries[i].Path < m.entries[j].Path })
	for i, e := range m.entries {
		m.byPath[e.Path] = i
	}
	return m
}

func (m *MemRoot) add(e Entry) {
	if i, ok := m.byPath[e.Path]; ok {
		m.entries[i] = e
		return
	}
	m.byPath[e.Path] = len(m.entries)
	m.entries = append(m.entries, e)
}

// Entries returns every entry sorted by path.
func (m *MemRoot) Entries() []Entry { return m.entries }

// Lookup returns the entry at p without following a final symlink.
func (m *MemRoot) Lookup(p string) (Entry, bool) {
	i, ok := m.byPath[strings.Trim(path.Clean("/"+p), "/")]
	if !ok {
		return Entry{}, false
	}
	return m.entries[i], true
}

// ReadFile returns the contents of the regular file at p, following
// symlinks inside the root.
func (m *MemRoot) ReadFile(p string) ([]byte, error) {
	real, err := Resolve(m, p)
	if err != nil {
		return nil, err
	}
	e, _ := m.Lookup(real)
	if !e.Mode.IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("not a regular file")}
	}
	b, ok := m.contents[real]
	if !ok && e.Size > 0 {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("contents not loaded")}
	}
	return b, nil
}

// Resolve follows symlinks in every component of p inside r, treating
// absolute link targets as relative to the root (as a chroot does), and
// returns the resolved path. It fails with fs.ErrNotExist for a missing
// component and an error for a symlink loop.
func Resolve(r Root, p string) (string, error) {
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := ""
	for links := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "" || name == "." {
			continue
		}
		if name == ".." {
			cur = strings.Trim(path.Dir("/"+cur), "/")
			continue
		}
		next := strings.TrimPrefix(cur+"/"+name, "/")
		e, ok := r.Lookup(next)
		if !ok {
			return "", &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		if e.Mode&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("too many levels of symbolic links")}
		}
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = cur + "/" + target
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
		cur = ""
	}
	return cur, nil
}
