package rootfs

import (
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Entry is the metadata of one file of a Root.
type Entry struct {
	// Path is slash-separated, relative to the root, without a leading
	// slash: "etc/passwd".
	Path string
	// Mode holds the type bits and the permission bits, including setuid,
	// setgid and sticky (fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky).
	Mode     fs.FileMode
	UID, GID int
	Size     int64
	// Link is a symlink's target, as stored.
	Link string
}

// Root is a read-only file tree under check: an unpacked root filesystem,
// a rootfs tarball or OCI image flattened in memory, or a source tree.
// Implementations are safe for concurrent use by several checks.
type Root interface {
	// ReadFile returns the contents of the regular file at p, following
	// symlinks inside the root (never out of it). It returns an error
	// matching fs.ErrNotExist when there is no such file.
	ReadFile(p string) ([]byte, error)
	// Lookup returns the entry at p without following a final symlink.
	Lookup(p string) (Entry, bool)
	// Entries returns every entry, sorted by path. Callers must not modify
	// the slice.
	Entries() []Entry
}

// Glob returns the entries whose paths match pattern (path.Match syntax,
// relative to the root), sorted by path.
func Glob(r Root, pattern string) []Entry {
	// Only entries starting with the pattern's literal prefix can match;
	// entries are sorted, so they are one run found by binary search.
	prefix := pattern[:strings.IndexAny(pattern+"*", `*?[\`)]
	es := r.Entries()
	i := sort.Search(len(es), func(i int) bool { return es[i].Path >= prefix })
	var out []Entry
	for ; i < len(es) && strings.HasPrefix(es[i].Path, prefix); i++ {
		if ok, _ := path.Match(pattern, es[i].Path); ok {
			out = append(out, es[i])
		}
	}
	return out
}

// Dir returns the entries directly inside dir, sorted by path.
func Dir(r Root, dir string) []Entry {
	dir = strings.Trim(dir, "/")
	es := r.Entries()
	prefix := dir + "/"
	i := sort.Search(len(es), func(i int) bool { return es[i].Path >= prefix })
	var out []Entry
	for ; i < len(es) && strings.HasPrefix(es[i].Path, prefix); i++ {
		if !strings.Contains(es[i].Path[len(prefix):], "/") {
			out = append(out, es[i])
		}
	}
	return out
}

// Exists reports whether p exists in r (as any kind of entry).
func Exists(r Root, p string) bool {
	_, ok := r.Lookup(strings.Trim(p, "/"))
	return ok
}
