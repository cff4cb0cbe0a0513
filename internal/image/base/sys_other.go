//go:build !linux

package base

import (
	"errors"
	"time"
)

// mknodat is only supported on Linux.
func mknodat(fd int, base string, mode uint32, major, minor int64) error {
	return errors.New("device and fifo entries are only supported on linux")
}

// lutimes leaves symlink times alone outside Linux.
func lutimes(fd int, base string, atime, mtime time.Time) error { return nil }
