package base

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// atSymlinkNoFollow is AT_SYMLINK_NOFOLLOW.
const atSymlinkNoFollow = 0x100

// mknodat creates a device or fifo base in the directory fd.
func mknodat(fd int, base string, mode uint32, major, minor int64) error {
	dev := (minor & 0xff) | ((major & 0xfff) << 8) | ((minor &^ 0xff) << 12) | ((major &^ 0xfff) << 32)
	if err := syscall.Mknodat(fd, base, mode, int(dev)); err != nil {
		return &os.PathError{Op: "mknod", Path: base, Err: err}
	}
	return nil
}

// lutimes sets the times of the symlink base in the directory fd itself.
func lutimes(fd int, base string, atime, mtime time.Time) error {
	p, err := syscall.BytePtrFromString(base)
	if err != nil {
		return err
	}
	ts := [2]syscall.Timespec{syscall.NsecToTimespec(atime.UnixNano()), syscall.NsecToTimespec(mtime.UnixNano())}
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(fd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&ts[0])), atSymlinkNoFollow, 0, 0)
	if errno != 0 {
		return &os.PathError{Op: "utimensat", Path: base, Err: errno}
	}
	return nil
}
