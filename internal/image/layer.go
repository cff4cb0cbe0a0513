package image

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// LayerOptions say how WriteLayer writes a layer.
type LayerOptions struct {
	// TmpDir receives the layer file; "" uses os.TempDir(). Put it on the
	// filesystem the layer ends up on so it can be renamed there.
	TmpDir string
	// Epoch is the modification time of every entry; the zero time means
	// the Unix epoch (1970-01-01T00:00:00Z).
	Epoch time.Time
	// Uncompressed writes a plain tar; the default is gzip.
	Uncompressed bool
}

// Layer is one layer file written by WriteLayer. The caller owns Path and
// removes it (Remove) or moves it away.
type Layer struct {
	// Path is the layer file: a gzip-compressed tar, or a plain tar.
	Path string
	// Digest is the sha256 of the file as stored; DiffID that of the
	// uncompressed tar (equal to Digest when uncompressed).
	Digest, DiffID v1.Hash
	// Size is the size of the file in bytes.
	Size int64
	// MediaType is types.OCILayer or types.OCIUncompressedLayer.
	MediaType types.MediaType
}

// Remove deletes the layer file; a file already gone is no error.
func (l Layer) Remove() error {
	if err := os.Remove(l.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// gzipLevel trades size for speed; the output is deterministic for a given
// level and klauspost/compress version.
const gzipLevel = gzip.DefaultCompression

// WriteLayer writes the tree at root as a reproducible tar layer into a
// new temp file in opts.TmpDir, streaming (never holding the layer in
// memory). Entries come in lexical walk order with paths relative to root
// (directories end in "/", the root itself is left out), every mtime is
// opts.Epoch, uid/gid/modes (setuid, setgid, sticky) are kept and user and
// group names are left out, hard links become tar hard links to the first
// path met, symlinks keep their target, device and fifo nodes are kept,
// sockets are skipped, extended attributes are not recorded. The same
// tree gives the same digest. A root that is not a directory wraps
// pipeline.ErrInvalid; a file changing while it is read is an error
// naming it. On error or cancel the temp file is removed.
func WriteLayer(ctx context.Context, root string, opts LayerOptions) (Layer, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return Layer{}, fmt.Errorf("layer of %s: %w", root, statErr(err))
	}
	if !fi.IsDir() {
		return Layer{}, fmt.Errorf("%w: layer of %s: not a directory", pipeline.ErrInvalid, root)
	}
	f, err := os.CreateTemp(opts.TmpDir, "layer-*.tar")
	if err != nil {
		return Layer{}, fmt.Errorf("layer of %s: %w", root, err)
	}
	l, err := writeLayerFile(ctx, f, root, opts)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return Layer{}, fmt.Errorf("layer of %s: %w", root, err)
	}
	return l, nil
}

func statErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", pipeline.ErrNotFound, err)
	}
	return err
}

// hashCounter hashes and counts what is written through it.
type hashCounter struct {
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return len(p), nil
}

func (c *hashCounter) sum() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", c.h.Sum(nil))}
}

// writeLayerFile streams the tar of root into f: tar → diffID hash →
// [gzip] → digest hash → f.
func writeLayerFile(ctx context.Context, f *os.File, root string, opts LayerOptions) (Layer, error) {
	bw := bufio.NewWriterSize(f, 1<<20)
	stored := &hashCounter{h: sha256.New()}
	out := io.MultiWriter(bw, stored)
	var zw *gzip.Writer
	tarOut := out
	if !opts.Uncompressed {
		var err error
		if zw, err = gzip.NewWriterLevel(out, gzipLevel); err != nil {
			return Layer{}, err
		}
		tarOut = zw
	}
	diff := &hashCounter{h: sha256.New()}
	tw := tar.NewWriter(io.MultiWriter(tarOut, diff))
	epoch := opts.Epoch
	if epoch.IsZero() {
		epoch = time.Unix(0, 0)
	}
	w := &treeWriter{ctx: ctx, root: root, tw: tw, epoch: epoch.UTC().Truncate(time.Second), links: map[fileID]string{}}
	if err := filepath.WalkDir(root, w.visit); err != nil {
		return Layer{}, err
	}
	if err := tw.Close(); err != nil {
		return Layer{}, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return Layer{}, err
		}
	}
	if err := bw.Flush(); err != nil {
		return Layer{}, err
	}
	l := Layer{Path: f.Name(), Digest: stored.sum(), DiffID: diff.sum(), Size: stored.n, MediaType: types.OCILayer}
	if opts.Uncompressed {
		l.MediaType = types.OCIUncompressedLayer
	}
	return l, nil
}

// fileID identifies an inode, to find hard links.
type fileID struct{ dev, ino uint64 }

// treeWriter writes the entries of one walk.
type treeWriter struct {
	ctx   context.Context
	root  string
	tw    *tar.Writer
	epoch time.Time
	links map[fileID]string // inode → first path written
	n     int
}

func (w *treeWriter) visit(p string, d fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	if w.n++; w.n%256 == 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	if p == w.root {
		return nil
	}
	rel, err := filepath.Rel(w.root, p)
	if err != nil {
		return err
	}
	name := filepath.ToSlash(rel)
	fi, err := d.Info()
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket != 0 {
		return nil
	}
	hdr, err := w.header(p, name, fi)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	return w.copyFile(p, name, hdr.Size)
}

// header builds the normalised tar header of one entry.
func (w *treeWriter) header(p, name string, fi fs.FileInfo) (*tar.Header, error) {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return nil, err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil, err
	}
	hdr.Name = name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = w.epoch, time.Time{}, time.Time{}
	hdr.Uname, hdr.Gname = "", ""
	hdr.Format = tar.FormatUnknown
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.IsDir() || st.Nlink < 2 {
		return hdr, nil
	}
	id := fileID{dev: uint64(st.Dev), ino: st.Ino}
	if first, seen := w.links[id]; seen {
		hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		return hdr, nil
	}
	w.links[id] = name
	return hdr, nil
}

// copyFile streams a regular file's contents, which must still be size
// bytes long.
func (w *treeWriter) copyFile(p, name string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.CopyN(w.tw, f, size)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: shrank from %d to %d bytes while being written", name, size, n)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var one [1]byte
	if k, _ := f.Read(one[:]); k > 0 {
		return fmt.Errorf("%s: grew past %d bytes while being written", name, size)
	}
	return nil
}
