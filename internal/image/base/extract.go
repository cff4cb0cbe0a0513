package base

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// maxLinkHops bounds the symlinks followed while resolving one target, as
// the kernel's ELOOP limit does.
const maxLinkHops = 40

// extractor writes the entries of one archive below root. Every write goes
// through an os.Root, so nothing lands outside it even if a check were
// missed; the checks turn such entries into errors that name them.
type extractor struct {
	root  *os.Root
	links map[string]string // archive symlinks created: name → target
	dirs  []dirTime         // directories whose times are set last
	buf   []byte
	owner bool // whether owners can be set (we are root)
}

// dirTime is a directory's modification time, set after its contents.
type dirTime struct {
	name         string
	atime, mtime time.Time
}

// extract writes the tar stream r into the directory dst.
func extract(ctx context.Context, r io.Reader, dst string) error {
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{root: root, links: map[string]string{}, buf: make([]byte, 256<<10), owner: os.Geteuid() == 0}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if err := x.entry(h, tr); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	return x.finish()
}

// finish checks the symlinks again, now that every one is known (a link
// can escape through another made after it), and sets directory times.
func (x *extractor) finish() error {
	names := make([]string, 0, len(x.links))
	for name := range x.links {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := x.checkSymlink(name, x.links[name]); err != nil {
			return fmt.Errorf("entry %q: %w", name, err)
		}
	}
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if err := x.root.Chtimes(d.name, d.atime, d.mtime); err != nil {
			return fmt.Errorf("entry %q: %w", d.name, err)
		}
	}
	return nil
}

// entry writes one archive entry.
func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	name, err := cleanName(h.Name)
	if err != nil {
		return err
	}
	if strings.HasPrefix(path.Base(name), ".wh.") {
		return nil // a whiteout means nothing outside an image layer
	}
	if err := x.checkParents(name); err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return x.dir(name, h)
	//lint:ignore SA1019 old archives still mark regular files with TypeRegA
	case tar.TypeReg, tar.TypeRegA:
		return x.file(name, h, r)
	case tar.TypeSymlink:
		return x.symlink(name, h)
	case tar.TypeLink:
		return x.hardlink(name, h)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return x.node(name, h)
	}
	return nil // global headers and the like carry no file
}

// cleanName turns an archive name into a path relative to the root ("."
// for the root itself), rejecting absolute names and "..".
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("absolute name: %w", pipeline.ErrInvalid)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("name with \"..\": %w", pipeline.ErrInvalid)
		}
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("name with a NUL byte: %w", pipeline.ErrInvalid)
	}
	return path.Clean(name), nil
}

// checkParents rejects a name below a symlink of the archive: writing
// through a link is how archives reach outside their root.
func (x *extractor) checkParents(name string) error {
	for p := path.Dir(name); p != "." && p != "/"; p = path.Dir(p) {
		if _, ok := x.links[p]; ok {
			return fmt.Errorf("written through the symlink %q: %w", p, pipeline.ErrInvalid)
		}
	}
	return nil
}

// checkSymlink rejects a symlink at name whose target resolves outside
// the root. An absolute target counts from the root (as it will inside
// the image); ".." above the root is outside.
func (x *extractor) checkSymlink(name, target string) error {
	if target == "" {
		return fmt.Errorf("empty symlink target: %w", pipeline.ErrInvalid)
	}
	hops := 0
	if _, ok := x.resolve(splitPath(path.Dir(name)), target, &hops); !ok {
		return fmt.Errorf("symlink to %q resolves outside the root: %w", target, pipeline.ErrInvalid)
	}
	return nil
}

// resolve follows target from the directory dir (a list of names) with
// the archive's symlinks and returns where it lands, or false when it
// leaves the root or loops.
func (x *extractor) resolve(dir []string, target string, hops *int) ([]string, bool) {
	cur := slices.Clone(dir)
	if path.IsAbs(target) {
		cur = nil
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return nil, false
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, c)
		t, ok := x.links[strings.Join(cur, "/")]
		if !ok {
			continue
		}
		if *hops++; *hops > maxLinkHops {
			return nil, false
		}
		if cur, ok = x.resolve(cur[:len(cur)-1], t, hops); !ok {
			return nil, false
		}
	}
	return cur, true
}

// splitPath splits a cleaned relative path into names; "." has none.
func splitPath(p string) []string {
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// replace clears the way for a new entry at name: an existing directory
// stays when the entry is a directory too; anything else is removed.
func (x *extractor) replace(name string, dir bool) error {
	fi, err := x.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return x.root.MkdirAll(path.Dir(name), 0o755)
	}
	if err != nil {
		return err
	}
	if dir && fi.IsDir() {
		return nil
	}
	if name == "." {
		return fmt.Errorf("the root must be a directory: %w", pipeline.ErrInvalid)
	}
	delete(x.links, name)
	return x.root.RemoveAll(name)
}

// dir creates a directory entry.
func (x *extractor) dir(name string, h *tar.Header) error {
	if err := x.replace(name, true); err != nil {
		return err
	}
	if err := x.root.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := x.attrs(name, h); err != nil {
		return err
	}
	x.dirs = append(x.dirs, dirTime{name: name, atime: atime(h), mtime: h.ModTime})
	return nil
}

// file writes a regular file entry.
func (x *extractor) file(name string, h *tar.Header, r io.Reader) error {
	if err := x.replace(name, false); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(f, io.LimitReader(r, h.Size), x.buf); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := x.attrs(name, h); err != nil {
		return err
	}
	return x.root.Chtimes(name, atime(h), h.ModTime)
}

// symlink creates a symlink entry after checking where it leads.
func (x *extractor) symlink(name string, h *tar.Header) error {
	if name == "." {
		return fmt.Errorf("the root must be a directory: %w", pipeline.ErrInvalid)
	}
	if err := x.checkSymlink(name, h.Linkname); err != nil {
		return err
	}
	if err := x.replace(name, false); err != nil {
		return err
	}
	if err := x.root.Symlink(h.Linkname, name); err != nil {
		return err
	}
	x.links[name] = h.Linkname
	if x.owner {
		if err := x.root.Lchown(name, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	return x.atDir(name, func(fd int, base string) error {
		return lutimes(fd, base, atime(h), h.ModTime)
	})
}

// hardlink links name to an earlier entry of the archive.
func (x *extractor) hardlink(name string, h *tar.Header) error {
	target, err := cleanName(h.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", h.Linkname, err)
	}
	if target == "." {
		return fmt.Errorf("hard link to the root: %w", pipeline.ErrInvalid)
	}
	if err := x.checkParents(target); err != nil {
		return fmt.Errorf("hard link target %q: %w", h.Linkname, err)
	}
	if target == name {
		return nil
	}
	if err := x.replace(name, false); err != nil {
		return err
	}
	if err := x.root.Link(target, name); err != nil {
		return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
	}
	if t, ok := x.links[target]; ok {
		x.links[name] = t
	}
	return nil
}

// node creates a device or fifo entry. Creating devices can be refused
// inside a container; such devices are left out (the sandbox mounts its
// own /dev).
func (x *extractor) node(name string, h *tar.Header) error {
	if err := x.replace(name, false); err != nil {
		return err
	}
	mode := uint32(h.Mode & 0o7777)
	switch h.Typeflag {
	case tar.TypeChar:
		mode |= syscall.S_IFCHR
	case tar.TypeBlock:
		mode |= syscall.S_IFBLK
	default:
		mode |= syscall.S_IFIFO
	}
	err := x.atDir(name, func(fd int, base string) error {
		return mknodat(fd, base, mode, h.Devmajor, h.Devminor)
	})
	if errors.Is(err, fs.ErrPermission) && h.Typeflag != tar.TypeFifo {
		return nil
	}
	if err != nil {
		return err
	}
	if err := x.attrs(name, h); err != nil {
		return err
	}
	return x.root.Chtimes(name, atime(h), h.ModTime)
}

// attrs sets the owner, then the mode (a chown clears setuid bits).
func (x *extractor) attrs(name string, h *tar.Header) error {
	if x.owner {
		if err := x.root.Lchown(name, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	return x.root.Chmod(name, h.FileInfo().Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
}

// atDir calls fn with a descriptor of name's directory, opened through
// the root, and name's last element.
func (x *extractor) atDir(name string, fn func(fd int, base string) error) error {
	d, err := x.root.Open(path.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(int(d.Fd()), path.Base(name))
}

// atime is the access time of h, or its modification time when the
// archive has none.
func atime(h *tar.Header) time.Time {
	if h.AccessTime.IsZero() {
		return h.ModTime
	}
	return h.AccessTime
}
