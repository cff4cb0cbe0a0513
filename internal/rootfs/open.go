package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Kind says what a target holds.
type Kind int

// The kinds of target. A root filesystem is a directory, tarball or OCI
// image holding an operating system; a source tree is anything else.
const (
	RootFS Kind = iota + 1
	Source
)

func (k Kind) String() string {
	switch k {
	case RootFS:
		return "rootfs"
	case Source:
		return "source"
	}
	return fmt.Sprintf("target(%d)", int(k))
}

// Options say how Open reads a target.
type Options struct {
	// Kind is the kind of the target; 0 detects it (see DetectKind). A
	// directory opened as a source tree leaves out the folders SourceSkip
	// names; one opened as a root filesystem leaves out nothing.
	Kind Kind
	// Keep picks the files of a tarball or OCI image whose contents are
	// loaded into memory; a directory reads any file on demand.
	Keep Keep
}

// Open opens a scan target and says what it holds:
//
//   - "oci:DIR[:TAG]", or a directory holding an oci-layout file: an OCI
//     image layout, flattened in memory (see OpenOCI);
//   - a regular file: a root filesystem tarball (see OpenTar);
//   - a directory: read in place (see DirRoot).
//
// The kind is RootFS when the tree looks like an operating system
// (etc/os-release or usr/lib/os-release, or etc/passwd beside bin or
// usr/bin) and Source otherwise. A missing target wraps
// pipeline.ErrNotFound; an unreadable or corrupt one yields an error
// naming it and what is wrong. Close the root when it is an io.Closer.
func Open(target string, opts Options) (Root, Kind, error) {
	kind := opts.Kind
	if kind != 0 && kind != RootFS && kind != Source {
		return nil, 0, fmt.Errorf("%w target kind %d", pipeline.ErrInvalid, int(kind))
	}
	if strings.HasPrefix(target, "oci:") {
		dir, tag := ParseOCITarget(target)
		if err := exists(dir); err != nil {
			return nil, 0, err
		}
		m, err := OpenOCI(dir, tag, opts.Keep)
		return memRoot(m, err, kind)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return nil, 0, statError(target, err)
	}
	switch {
	case fi.IsDir() && IsOCILayout(target):
		m, err := OpenOCI(target, "", opts.Keep)
		return memRoot(m, err, kind)
	case fi.IsDir():
		return openDir(target, kind)
	case fi.Mode().IsRegular():
		m, err := OpenTar(target, opts.Keep)
		return memRoot(m, err, kind)
	}
	return nil, 0, fmt.Errorf("%w target %s: not a directory, tarball or OCI layout", pipeline.ErrInvalid, target)
}

// memRoot completes a MemRoot load with the root's kind.
func memRoot(m *MemRoot, err error, kind Kind) (Root, Kind, error) {
	if err != nil {
		return nil, 0, err
	}
	if kind == 0 {
		kind = DetectKind(func(p string) bool { return Exists(m, p) })
	}
	return m, kind, nil
}

func openDir(dir string, kind Kind) (Root, Kind, error) {
	if kind == 0 {
		kind = DetectKind(func(p string) bool { return lexists(dir, p) })
	}
	var skip []string
	if kind == Source {
		skip = SourceSkip()
	}
	d, err := NewDirRoot(dir, skip...)
	if err != nil {
		return nil, 0, statError(dir, err)
	}
	return d, kind, nil
}

// DetectKind says whether a tree whose paths exist as exists says is an
// operating system's root filesystem or a source tree.
func DetectKind(exists func(p string) bool) Kind {
	if exists("etc/os-release") || exists("usr/lib/os-release") {
		return RootFS
	}
	if exists("etc/passwd") && (exists("bin") || exists("usr/bin")) {
		return RootFS
	}
	return Source
}

// lexists reports whether rel exists under dir without following any
// symlink on the way (a link named etc could point out of the tree).
func lexists(dir, rel string) bool {
	cur := dir
	parts := strings.Split(rel, "/")
	for i, part := range parts {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return false
		}
		if i < len(parts)-1 && !fi.IsDir() {
			return false
		}
	}
	return true
}

func exists(p string) error {
	if _, err := os.Stat(p); err != nil {
		return statError(p, err)
	}
	return nil
}

// statError wraps pipeline.ErrNotFound for a missing target.
func statError(target string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("target %s: %w", target, pipeline.ErrNotFound)
	}
	return fmt.Errorf("target %s: %w", target, err)
}
