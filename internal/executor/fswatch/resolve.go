package fswatch

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxDirCache bounds the directory paths remembered for directories that
// are gone by the time their events are read; past it, new directories
// are not remembered.
const maxDirCache = 1 << 17

// fsResolver resolves the handles of one filesystem with
// open_by_handle_at (which needs CAP_DAC_READ_SEARCH) and the kernel's
// name of the descriptor it returns.
type fsResolver struct {
	// mountFD is a descriptor of the filesystem's root directory.
	mountFD int
	// prefix is the root's path as /proc/self/fd shows it.
	prefix string
	// dirs remembers the directories of the root and those created
	// since, by handle, for events in a directory removed before they
	// were read (rm -r): its handle is stale by then.
	dirs map[string]string
}

var _ resolver = (*fsResolver)(nil)

// newResolver opens dir, the root of the watched filesystem.
func newResolver(dir string) (*fsResolver, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0) // open_by_handle_at refuses O_PATH
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	prefix, err := fdPath(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &fsResolver{mountFD: fd, prefix: prefix, dirs: make(map[string]string)}, nil
}

func (r *fsResolver) close() { unix.Close(r.mountFD) }

// dirPath opens directory h by its handle and returns its path below the
// root; a directory removed since is named as it was last known.
func (r *fsResolver) dirPath(h handle) (string, bool) {
	fd, err := r.open(h)
	if err != nil {
		p, ok := r.dirs[cacheKey(h.typ, h.b)]
		return p, ok
	}
	defer unix.Close(fd)
	name, err := fdPath(fd)
	if err != nil {
		return "", false
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Nlink == 0 {
		name = strings.TrimSuffix(name, " (deleted)")
	}
	return inside(r.prefix, name)
}

// learn remembers that directory h is at p.
func (r *fsResolver) learn(h handle, p string) {
	k := cacheKey(h.typ, h.b)
	if _, known := r.dirs[k]; known || len(r.dirs) < maxDirCache {
		r.dirs[k] = p
	}
}

// learnTree remembers every directory below the root as it is now.
func (r *fsResolver) learnTree(root string) {
	filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, name)
		if err != nil || rel == "." {
			return nil
		}
		fh, _, err := unix.NameToHandleAt(r.mountFD, rel, 0)
		if err != nil {
			return nil
		}
		if len(r.dirs) >= maxDirCache {
			return filepath.SkipAll
		}
		r.dirs[cacheKey(fh.Type(), fh.Bytes())] = "/" + filepath.ToSlash(rel)
		return nil
	})
}

// cacheKey is the key of a handle in the directory cache: the watched
// filesystem is one, so its id is left out.
func cacheKey(typ int32, b []byte) string { return strconv.Itoa(int(typ)) + ":" + string(b) }

// exists reports whether directory h has an entry name.
func (r *fsResolver) exists(h handle, name string) bool {
	fd, err := r.open(h)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	return unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

func (r *fsResolver) open(h handle) (int, error) {
	return unix.OpenByHandleAt(r.mountFD, unix.NewFileHandle(h.typ, h.b), unix.O_PATH|unix.O_CLOEXEC)
}

// fdPath returns the path the kernel gives descriptor fd.
func fdPath(fd int) (string, error) {
	return os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
}

// inside turns the host path name into an absolute path below root, the
// watched filesystem's mount point; ok is false when name is elsewhere.
func inside(root, name string) (string, bool) {
	if name == root {
		return "/", true
	}
	if root == "/" {
		return name, strings.HasPrefix(name, "/")
	}
	rest, ok := strings.CutPrefix(name, root+"/")
	if !ok {
		return "", false
	}
	return "/" + rest, true
}
