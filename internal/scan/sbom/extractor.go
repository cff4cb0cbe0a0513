package sbom

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// Extractor turns the files it wants into packages. Collect walks a root
// once and asks every extractor about every regular file; Keep asks the
// same question to decide which contents a tarball or image keeps.
// Implementations must be safe for concurrent use.
type Extractor interface {
	// Name names the extractor in warnings ("os/dpkg").
	Name() string
	// Wants reports whether the extractor reads the regular file e (by
	// its Path, Mode and Size; its contents are not available yet).
	Wants(e rootfs.Entry) bool
	// Extract reads the file e of root and returns its packages, with
	// ecosystems and locations set. An error means the file could not be
	// read as expected; packages returned with it are kept.
	Extract(ctx context.Context, root rootfs.Root, e rootfs.Entry) ([]Package, error)
}

// NewFunc is the constructor every scalibr filesystem extractor package
// exports (dpkg.New, gomod.New).
type NewFunc func(*cpb.PluginConfig) (filesystem.Extractor, error)

// Scalibr adapts an osv-scalibr filesystem extractor, built by newFn
// with its default configuration: Wants asks its FileRequired, Extract
// runs it over rootfs.FS(root) and converts its packages (see Package
// for the conventions). A few extractors are narrowed or widened where
// scalibr's choice does not fit a one-pass walk: Go binaries are only
// executable files that are not scripts or shared libraries, and go.mod
// keeps the go.sum beside it (read for go < 1.17) in tarballs.
//
// A panic in the scalibr extractor is returned as an error. When newFn
// fails, the adapter wants no file and Collect fails naming it.
func Scalibr(newFn NewFunc) Extractor {
	x, err := newFn(&cpb.PluginConfig{})
	if err != nil {
		return &scalibr{err: fmt.Errorf("new scalibr extractor: %w", err)}
	}
	return &scalibr{x: x}
}

// scalibr is the adapter Scalibr returns.
type scalibr struct {
	x   filesystem.Extractor
	err error
}

// The scalibr extractors the adapter treats specially.
const (
	nameGoBinary = "go/binary"
	nameGoMod    = "go/gomod"
)

func (s *scalibr) Name() string {
	if s.x == nil {
		return "scalibr"
	}
	return s.x.Name()
}

// broken returns the construction error, for Collect.
func (s *scalibr) broken() error { return s.err }

func (s *scalibr) Wants(e rootfs.Entry) bool {
	if s.x == nil || !e.Mode.IsRegular() {
		return false
	}
	if s.x.Name() == nameGoBinary && !maybeGoBinary(e) {
		return false
	}
	return s.x.FileRequired(fileAPI{e})
}

// alsoKeeps reports whether the extractor reads e besides the files it
// wants, so that a tarball load must keep it too.
func (s *scalibr) alsoKeeps(e rootfs.Entry) bool {
	return s.x != nil && s.x.Name() == nameGoMod && path.Base(e.Path) == "go.sum"
}

// maybeGoBinary reports whether e may be a Go program: executable, and
// not named as a script or shared library (which scalibr's go/binary
// also reads, at the cost of keeping every .so and .py of an image).
func maybeGoBinary(e rootfs.Entry) bool {
	if e.Mode&0o111 == 0 {
		return false
	}
	base := path.Base(e.Path)
	if strings.Contains(base, ".so") {
		return false
	}
	switch path.Ext(base) {
	case ".sh", ".bash", ".py", ".pl", ".rb", ".php", ".awk", ".tcl", ".a", ".o", ".js":
		return false
	}
	return true
}

func (s *scalibr) Extract(ctx context.Context, root rootfs.Root, e rootfs.Entry) (pkgs []Package, err error) {
	if s.x == nil {
		return nil, s.err
	}
	fsys := rootfs.FS(root).(scalibrfs.FS)
	f, err := fsys.Open(e.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("%s panicked: %v", s.x.Name(), r)
		}
	}()
	// Root stays empty: the extractors that need a file on disk (rpm's
	// database) copy it from Reader instead of opening a host path.
	in := &filesystem.ScanInput{FS: fsys, Path: e.Path, Info: entryInfo{e}, Reader: f}
	inv, err := s.x.Extract(ctx, in)
	for _, p := range inv.Packages {
		if q, ok := convert(p, e.Path); ok {
			pkgs = append(pkgs, q)
		}
	}
	return pkgs, err
}

// fileAPI is the scalibr view of an entry, for FileRequired.
type fileAPI struct{ e rootfs.Entry }

func (f fileAPI) Path() string               { return f.e.Path }
func (f fileAPI) Stat() (fs.FileInfo, error) { return entryInfo(f), nil }

// entryInfo is the fs.FileInfo of an entry.
type entryInfo struct{ e rootfs.Entry }

func (i entryInfo) Name() string       { return path.Base(i.e.Path) }
func (i entryInfo) Size() int64        { return i.e.Size }
func (i entryInfo) Mode() fs.FileMode  { return i.e.Mode }
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.e.Mode.IsDir() }
func (i entryInfo) Sys() any           { return nil }
