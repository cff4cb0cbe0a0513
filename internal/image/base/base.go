// Package base prepares the root filesystem a golden image is built on:
// it unpacks an OCI image layout, a root filesystem tarball or a Debian
// minbase tarball (built with mmdebstrap and cached), or assembles a tiny
// root from the host's static busybox, into a fresh directory. Unpacking
// never writes outside that directory, whatever the archive says.
package base

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Kind says where a base came from.
type Kind string

// The kinds of base Prepare knows.
const (
	KindBusybox Kind = "busybox" // the host's busybox-static
	KindOCI     Kind = "oci"     // an image of an OCI image layout
	KindTar     Kind = "tar"     // a root filesystem tarball
	KindDebian  Kind = "debian"  // a Debian minbase built by mmdebstrap
)

// Options tunes Prepare. The zero value works for every ref except
// "debian:SUITE", which needs CacheDir.
type Options struct {
	// CacheDir holds the Debian base tarballs
	// (debian-SUITE-YYYYMMDD.tar); it is created when missing.
	CacheDir string
	// Log receives mmdebstrap's output; nil discards it.
	Log io.Writer
	// Now dates a new Debian base (UTC); nil means time.Now.
	Now func() time.Time
	// Busybox is the static busybox binary copied into a "busybox" base;
	// "" means /bin/busybox (Debian's busybox-static).
	Busybox string
	// Mmdebstrap is the mmdebstrap program; "" looks it up on PATH.
	Mmdebstrap string
}

// Info describes a prepared base.
type Info struct {
	// Ref is the ref Prepare was given.
	Ref string
	// Digest identifies the base's content ("sha256:…"): the image
	// manifest's digest for an OCI image, the tarball's for a tarball or
	// Debian base, the busybox binary's for a busybox base.
	Digest string
	// Kind says which kind of ref it was.
	Kind Kind
}

// Prepare unpacks the base named by ref into dst, which must be missing
// or empty (it is created with mode 0755 when missing). ref is one of:
//
//   - "busybox": a root made of the host's busybox-static binary at
//     /bin/busybox, its applet links (from `busybox --list-full`), /etc
//     passwd, group and os-release (ID=busybox, VERSION_ID its version),
//     /tmp (1777), /root, /proc, /dev and /sys;
//   - "oci:DIR[:TAG]": the image TAG (or the only image) of the OCI image
//     layout at DIR, its layers flattened;
//   - "debian:SUITE": a Debian minbase root of SUITE built with
//     `mmdebstrap --variant=minbase --mode=root` as a tarball
//     CacheDir/debian-SUITE-YYYYMMDD.tar, reused for the rest of the day;
//   - anything else: the path of a root filesystem tarball (plain, gzip
//     or zstd); write "./busybox" for a tarball named busybox.
//
// Unpacking keeps modes, owners and modification times and rejects (with
// an error naming the entry) absolute names, names with "..", symlinks
// that resolve outside dst, hard links to outside dst, and entries written
// through a symlink of the archive; see Unpack. A missing tool is an error
// naming it and its Debian package (wrapping pipeline.ErrNotFound); a bad
// ref or a non-empty dst wraps pipeline.ErrInvalid. On error dst may hold
// a partial tree: the caller removes it. Safe for concurrent use with
// different dst directories.
func Prepare(ctx context.Context, ref string, dst string, opts Options) (Info, error) {
	if err := emptyDir(dst); err != nil {
		return Info{}, err
	}
	var (
		info Info
		err  error
	)
	switch {
	case ref == "busybox":
		info, err = prepareBusybox(ctx, dst, opts)
	case strings.HasPrefix(ref, "oci:"):
		info, err = prepareOCI(ctx, ref, dst)
	case strings.HasPrefix(ref, "debian:"):
		info, err = prepareDebian(ctx, strings.TrimPrefix(ref, "debian:"), dst, opts)
	case ref == "":
		return Info{}, fmt.Errorf("base: empty ref: %w", pipeline.ErrInvalid)
	default:
		info, err = prepareTar(ctx, ref, dst)
	}
	if err != nil {
		return Info{}, fmt.Errorf("base %s: %w", ref, err)
	}
	info.Ref = ref
	return info, nil
}

// emptyDir makes sure dst is an empty directory, creating it if missing.
func emptyDir(dst string) error {
	entries, err := os.ReadDir(dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("base: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("base: %s is not empty: %w", dst, pipeline.ErrInvalid)
	}
	return nil
}

// missingTool is the error for a tool that is not installed.
type missingTool struct{ msg string }

func (e missingTool) Error() string { return e.msg }
func (e missingTool) Unwrap() error { return pipeline.ErrNotFound }
