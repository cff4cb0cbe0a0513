package fswatch

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Mount is a tmpfs mounted for one run: the filesystem of its own that a
// Watcher marks. Its contents live in memory (and swap), bounded by the
// kernel's tmpfs default of half the RAM.
type Mount struct {
	// Dir is the mount point.
	Dir string
}

// MountTmpfs makes dir, which must not exist, and mounts a new tmpfs on it
// (mode 0755, owned by root). The caller must call Close whatever happens
// next; a process killed before that leaves the mount behind (a tmpfs
// named "secpipe" in the mount table). Needs CAP_SYS_ADMIN.
func MountTmpfs(dir string) (*Mount, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fswatch: %w", err)
	}
	if err := unix.Mount("secpipe", dir, "tmpfs", 0, "mode=0755"); err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("fswatch: mount a tmpfs on %s: %w", dir, err)
	}
	return &Mount{Dir: dir}, nil
}

// Close unmounts the tmpfs, dropping what it holds, and removes the mount
// point. The unmount is lazy (MNT_DETACH): a process still holding a file
// in it cannot keep it in the mount table. Close is idempotent.
func (m *Mount) Close() error {
	if m.Dir == "" {
		return nil
	}
	dir := m.Dir
	m.Dir = ""
	err := unix.Unmount(dir, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) { // EINVAL: no longer a mount point
		return fmt.Errorf("fswatch: unmount %s: %w", dir, err)
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("fswatch: %w", err)
	}
	return nil
}
