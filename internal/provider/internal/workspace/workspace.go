// Package workspace copies files between the directories an action works
// in: artifact directories, a writable copy of a read-only input, the
// files of a work tree. Copies keep permission bits and copy symbolic
// links as links; other special files are refused.
package workspace

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// wOK is access(2)'s W_OK.
const wOK = 0x2

// Writable reports whether the current user may create files in dir.
func Writable(dir string) bool {
	return syscall.Access(dir, wOK) == nil
}

// CopyFile copies the file, symbolic link or (empty) directory at src to
// dst, creating dst's parent directories. An existing dst is replaced.
func CopyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return copyEntry(src, dst, info)
}

// copyEntry copies one entry whose parent directory exists.
func copyEntry(src, dst string, info fs.FileInfo) error {
	switch mode := info.Mode(); {
	case mode.IsDir():
		if err := os.Mkdir(dst, mode.Perm()|0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		return nil
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		_ = os.Remove(dst)
		if err := os.Symlink(target, dst); err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		return nil
	case mode.IsRegular():
		return copyRegular(src, dst, mode.Perm())
	default:
		return fmt.Errorf("copy %s: not a regular file, directory or symbolic link (%s)", src, mode.Type())
	}
}

// copyRegular copies a regular file's content and permission bits.
func copyRegular(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	_ = os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm|0o600)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("copy %s: %w", src, cerr)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Chmod(perm); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// CopyTree copies the directory tree src into dst (created if missing).
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
		target := filepath.Join(dst, rel)
		if rel == "." {
			return os.MkdirAll(target, 0o755)
		}
		return copyEntry(path, target, info)
	})
}

// Scratch creates a new directory named after pattern (see os.MkdirTemp)
// inside parent, or in the system's temporary directory when parent is
// empty; remove removes it and everything in it.
func Scratch(parent, pattern string) (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp(parent, pattern)
	if err != nil {
		return "", nil, fmt.Errorf("create scratch directory: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// WritableCopy returns dir when the current user may write in it, else a
// copy of it made at scratch/name: inputs may be read-only copies of
// artifacts, and builds write into their source directory.
func WritableCopy(dir, scratch, name string) (string, error) {
	if Writable(dir) {
		return dir, nil
	}
	dst := filepath.Join(scratch, name)
	if err := CopyTree(dir, dst); err != nil {
		return "", fmt.Errorf("make a writable copy of %s: %w", dir, err)
	}
	return dst, nil
}
