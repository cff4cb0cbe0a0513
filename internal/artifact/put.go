package artifact

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// smallFile is the largest file Put reads whole: it hashes it before
// writing anything, so content the store already holds is never copied.
// Larger files are streamed into a temporary file while they are hashed.
const smallFile = 1 << 20

// Put stores the tree under dir and returns its artifact digest
// ("sha256:…"). It walks dir without following symbolic links (a link is
// stored as a link, whatever it points to; dir itself may be one), keeps
// directories (empty ones too), regular files and links with their
// permission bits, and nothing else: ownership and times are not part of
// an artifact. A named pipe, socket or device in the tree wraps
// pipeline.ErrInvalid; a missing dir wraps pipeline.ErrNotFound.
//
// Putting a tree the store already holds writes nothing new and returns
// the same digest. Put honours ctx between files.
func (s *Store) Put(ctx context.Context, dir string) (string, error) {
	// The walk does not follow links, so resolve one naming the tree.
	resolved, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("put artifact %s: %w", dir, pipeline.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("put artifact: %w", err)
	}
	dir = resolved
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("put artifact: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("put artifact %s: %w", dir, invalidf("source: not a directory"))
	}
	unlock, err := s.lock(ctx, lockShared)
	if err != nil {
		return "", err
	}
	defer unlock()
	entries, files, err := scanTree(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("put artifact %s: %w", dir, err)
	}
	if err := s.putFiles(ctx, dir, entries, files); err != nil {
		return "", fmt.Errorf("put artifact %s: %w", dir, err)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return cmp.Compare(a.Path, b.Path) })
	data, err := encodeManifest(entries)
	if err != nil {
		return "", err
	}
	h := sha256Hex(data)
	if err := s.writeObject(s.manifestPath(h), data); err != nil {
		return "", fmt.Errorf("put artifact %s: manifest: %w", dir, err)
	}
	return digestPrefix + h, nil
}

// fileRef is a regular file of the tree still to be stored: entries[i].
type fileRef struct {
	i    int
	info fs.FileInfo
}

// scanTree lists the entries under dir, in walk order, and the regular
// files among them.
func scanTree(ctx context.Context, dir string) ([]Entry, []fileRef, error) {
	var (
		entries []Entry
		files   []fileRef
	)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := Entry{Path: filepath.ToSlash(rel)}
		switch m := info.Mode(); {
		case m.IsDir():
			e.Mode = fs.ModeDir | m.Perm()
		case m&fs.ModeSymlink != 0:
			if e.Link, err = os.Readlink(p); err != nil {
				return err
			}
			e.Mode = fs.ModeSymlink | 0o777
		case m.IsRegular():
			e.Mode = m.Perm()
			files = append(files, fileRef{i: len(entries), info: info})
		default:
			return invalidf("file type of %s: %v (only files, directories and symbolic links are kept)", e.Path, m.Type())
		}
		entries = append(entries, e)
		return nil
	})
	return entries, files, err
}

// putFiles stores the regular files of the tree as blobs, several at a
// time, and fills in their entries' size and digest.
func (s *Store) putFiles(ctx context.Context, dir string, entries []Entry, files []fileRef) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan fileRef)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	workers := min(runtime.GOMAXPROCS(0), max(len(files), 1))
	for range workers {
		wg.Go(func() {
			for f := range work {
				e := &entries[f.i]
				digest, size, err := s.putFile(filepath.Join(dir, filepath.FromSlash(e.Path)), f.info)
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, fmt.Errorf("%s: %w", e.Path, err))
					mu.Unlock()
					cancel()
					continue
				}
				e.Digest, e.Size = digest, size
			}
		})
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		work <- f
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// putFile stores one regular file as a blob and returns its digest and the
// number of bytes stored. It refuses a file replaced since the walk saw it
// (by a link, say), so nothing outside the tree is ever read.
func (s *Store) putFile(path string, seen fs.FileInfo) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !os.SameFile(fi, seen) || !fi.Mode().IsRegular() {
		return "", 0, errors.New("file changed while the tree was read")
	}
	if fi.Size() <= smallFile {
		data, err := io.ReadAll(io.LimitReader(f, smallFile+1))
		if err != nil {
			return "", 0, err
		}
		if len(data) <= smallFile {
			h := sha256Hex(data)
			return digestPrefix + h, int64(len(data)), s.writeBlob(h, int64(len(data)), bytes.NewReader(data))
		}
		// The file grew past the limit: hash it all while streaming.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", 0, err
		}
	}
	return s.streamBlob(f)
}

// streamBlob copies r into a temporary file while hashing it, then renames
// the file to its blob name.
func (s *Store) streamBlob(r io.Reader) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "blob-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, hash), r)
	if err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	h := hex.EncodeToString(hash.Sum(nil))
	if s.fresh(s.blobPath(h), n) {
		return digestPrefix + h, n, nil
	}
	return digestPrefix + h, n, s.install(tmp.Name(), s.blobPath(h))
}

// writeBlob stores the n bytes of r as the blob of hex digest h, unless
// the store already holds it.
func (s *Store) writeBlob(h string, n int64, r io.Reader) error {
	if s.fresh(s.blobPath(h), n) {
		return nil
	}
	return s.writeTemp(s.blobPath(h), r)
}

// writeObject stores data under path (a manifest), unless the store
// already holds it intact.
func (s *Store) writeObject(path string, data []byte) error {
	if s.fresh(path, int64(len(data))) {
		return nil
	}
	return s.writeTemp(path, bytes.NewReader(data))
}

// writeTemp writes r to a temporary file and renames it to path.
func (s *Store) writeTemp(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "obj-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return s.install(tmp.Name(), path)
}

// install makes tmp read-only and renames it to path, creating path's
// directory when it is missing.
func (s *Store) install(tmp, path string) error {
	if err := os.Chmod(tmp, 0o444); err != nil {
		return err
	}
	err := os.Rename(tmp, path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		err = os.Rename(tmp, path)
	}
	return err
}

// fresh reports whether path holds an object of size n, and marks it as
// recently used for GC. An object of another size (damaged by a crash of
// the machine) is replaced by the caller.
func (s *Store) fresh(path string, n int64) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != n {
		return false
	}
	if now := s.now(); now.Sub(fi.ModTime()) > s.grace/2 {
		// Best effort: a failure only shortens the object's protection.
		_ = os.Chtimes(path, now, now)
	}
	return true
}

// sha256Hex returns the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
