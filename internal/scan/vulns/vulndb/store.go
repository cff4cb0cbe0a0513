package vulndb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Names inside the database directory.
const (
	currentName    = "CURRENT"
	lockName       = "LOCK"
	genPrefix      = "gen-"
	downloadPrefix = "download-"
	tmpSuffix      = ".tmp"
)

// lockPoll is how often a command waiting for the lock tries again.
const lockPoll = 20 * time.Millisecond

// DefaultDir returns where the database lives unless told otherwise:
// $SECPIPE_DB_DIR when set, else secpipe/vulndb under the user's cache
// directory. It fails only when neither is known.
func DefaultDir() (string, error) {
	if d := os.Getenv("SECPIPE_DB_DIR"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locate the vulnerability database: set SECPIPE_DB_DIR: %w", err)
	}
	return filepath.Join(c, "secpipe", "vulndb"), nil
}

// lockDir takes the exclusive lock of dir, waiting until it is free or ctx
// is done. Closing the file releases it.
func lockDir(ctx context.Context, dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock database: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock database: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for database lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// readCurrent returns the name of the live generation, or an error matching
// os.ErrNotExist when there is none.
func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentName))
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, genPrefix) || !validFileName(name) {
		return "", fmt.Errorf("%s: bad generation name %q", filepath.Join(dir, currentName), name)
	}
	return name, nil
}

// validFileName reports whether name is a plain file name inside a directory.
func validFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`+"\x00")
}

// writeFileAtomic writes data to path through a synced temporary file and a
// rename, then syncs the directory, so that path holds the old or the new
// content even after a crash.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir flushes a directory's entries to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// sweep removes what a crash or a failed command left in dir: generations
// other than keep, downloads and temporary files. The lock must be held.
func sweep(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		stale := strings.HasPrefix(n, genPrefix) && n != keep ||
			strings.HasPrefix(n, downloadPrefix) || strings.HasSuffix(n, tmpSuffix)
		if stale {
			os.RemoveAll(filepath.Join(dir, n))
		}
	}
}

// sourceFileName is the compiled file name of the source called name.
func sourceFileName(name string) string {
	h := sha256.Sum256([]byte(name))
	return hex.EncodeToString(h[:8]) + ".src"
}

// linkOrCopy makes dst the same file as src: a hard link where possible,
// else a synced copy.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
