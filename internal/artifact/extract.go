package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Extract recreates the artifact digest under dir, creating dir if needed:
// its directories, regular files (with their permission bits) and symbolic
// links. Every blob is checked against its digest while it is copied; a
// mismatch (a damaged store) fails the call. Writes go through an os.Root
// at dir, so no entry and no link — whether in the artifact or already in
// dir — can make Extract write outside dir. An existing regular file or
// link of the same name is replaced; a directory is kept (its mode set).
//
// It returns List's errors, ctx.Err() when cancelled between files, and
// an error naming the entry when one cannot be written. A failed Extract
// may leave part of the tree behind.
func (s *Store) Extract(ctx context.Context, digest, dir string) error {
	entries, err := s.List(digest)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("extract artifact %s: %w", digest, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract artifact %s: %w", digest, err)
	}
	defer root.Close()
	var dirs []Entry
	buf := make([]byte, 32<<10)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.extractEntry(root, e, buf); err != nil {
			return fmt.Errorf("extract artifact %s: %s: %w", digest, e.Path, err)
		}
		if e.Mode.IsDir() {
			dirs = append(dirs, e)
		}
	}
	// Directory modes last, deepest first, so a read-only directory does
	// not stop its own contents from being written.
	for _, e := range slices.Backward(dirs) {
		if err := root.Chmod(filepath.FromSlash(e.Path), e.Mode.Perm()); err != nil {
			return fmt.Errorf("extract artifact %s: %s: %w", digest, e.Path, err)
		}
	}
	return nil
}

// extractEntry creates one entry under root.
func (s *Store) extractEntry(root *os.Root, e Entry, buf []byte) error {
	name := filepath.FromSlash(e.Path)
	switch {
	case e.Mode.IsDir():
		err := root.Mkdir(name, 0o700)
		if errors.Is(err, fs.ErrExist) {
			var fi fs.FileInfo
			if fi, err = root.Lstat(name); err == nil && !fi.IsDir() {
				err = fmt.Errorf("%w: not a directory", fs.ErrExist)
			}
		}
		if err != nil {
			return err
		}
		// Writable until the final pass sets the recorded mode.
		return root.Chmod(name, 0o700)
	case e.Mode&fs.ModeSymlink != 0:
		if err := removeNonDir(root, name); err != nil {
			return err
		}
		return root.Symlink(e.Link, name)
	default:
		return s.extractFile(root, name, e, buf)
	}
}

// extractFile copies the blob of e to name through buf, checking its
// digest.
func (s *Store) extractFile(root *os.Root, name string, e Entry, buf []byte) error {
	h, err := parseDigest(e.Digest)
	if err != nil {
		return err
	}
	src, err := os.Open(s.blobPath(h))
	if err != nil {
		return fmt.Errorf("blob %s: %w", e.Digest, err)
	}
	defer src.Close()
	if err := removeNonDir(root, name); err != nil {
		return err
	}
	dst, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	hash := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(dst, hash), struct{ io.Reader }{src}, buf)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != h || n != e.Size {
		return fmt.Errorf("blob %s is damaged: it holds %d bytes hashing to sha256:%s", e.Digest, n, got)
	}
	return root.Chmod(name, e.Mode.Perm())
}

// removeNonDir removes name when it exists and is not a directory, so a
// file or link can be created in its place.
func removeNonDir(root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%w: a directory is in the way", fs.ErrExist)
	}
	return root.Remove(name)
}
