// Package fswatch records what happens to the files of a filesystem of its
// own — files created, written, renamed, chmodded, deleted and executed —
// with fanotify, whoever does it and through whichever mount.
//
// The root filesystem of a run is a tmpfs (MountTmpfs): fanotify reports
// the creation, deletion and renaming of directory entries only for a
// whole filesystem (FAN_MARK_FILESYSTEM; a mount mark refuses them), and a
// mount mark would not see a sandbox's own bind mount of the root in its
// mount namespace either. A filesystem of its own holds nothing but the
// root, so every event is the run's, and tmpfs needs no device and
// supports the file handles fanotify's FID mode reports. The group runs in
// FID mode (FAN_REPORT_DFID_NAME_TARGET): events carry the parent
// directory's handle and the entry's name, which Start's goroutine turns
// into a path inside the root with open_by_handle_at, and the process id
// (in this process's PID namespace) whose /proc/PID/comm it reads.
//
// Needs Linux 5.17 or later (FAN_RENAME, FAN_REPORT_TARGET_FID) and
// CAP_SYS_ADMIN; Start's error says what is missing, and callers fall back
// to other means.
package fswatch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// initFlags create the fanotify group: notification only, FID mode with
// names, no limit on the queue (a flood of events must not hide later
// ones; the reader keeps up and merges repeats).
const initFlags = unix.FAN_CLASS_NOTIF | unix.FAN_CLOEXEC | unix.FAN_NONBLOCK | unix.FAN_UNLIMITED_QUEUE |
	unix.FAN_REPORT_DFID_NAME_TARGET

// markMask are the events recorded. FAN_MODIFY reports a write as it
// happens (a daemon need not close its file); FAN_CLOSE_WRITE ends the
// session in which repeated writes are reported once.
const markMask = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_RENAME | unix.FAN_MODIFY | unix.FAN_CLOSE_WRITE |
	unix.FAN_ATTRIB | unix.FAN_OPEN_EXEC | unix.FAN_ONDIR

// readBuf is the size of one read from the group.
const readBuf = 64 << 10

// Event is one change or execution of a file of the watched filesystem.
type Event struct {
	// Time is when the event was read, within moments of when it
	// happened: fanotify does not time its events.
	Time time.Time
	// PID is the process (thread group) that did it; Comm its name and
	// Exe its program (as the process sees its root) when the event was
	// read, "" when it had exited.
	PID  int
	Comm string
	Exe  string
	Op   Op
	// Path is absolute, inside the watched filesystem ("/etc/passwd");
	// for a rename it is the new name and OldPath the old one.
	Path    string
	OldPath string
	// Dir is set when the file is a directory.
	Dir bool
}

// Stats counts what a Watcher read.
type Stats struct {
	// Events is the number of Events passed to the callback.
	Events int
	// Overflows counts queue overflows, each losing events; with the
	// unlimited queue only memory exhaustion causes one.
	Overflows int
	// Unresolved counts events whose path could not be found.
	Unresolved int
	// Malformed counts reads that did not decode (a kernel this code does
	// not know).
	Malformed int
}

// Watcher records the events of one filesystem until Stop.
type Watcher struct {
	fd    int
	wakeR int
	wakeW int
	res   *fsResolver
	in    *interpreter
	emit  func(Event)
	done  chan struct{}
	once  sync.Once
	stats Stats
}

// Start marks the filesystem whose root is dir (a mount point, such as a
// MountTmpfs) and calls emit from a goroutine of its own with every event,
// in the order the kernel queued them, until Stop. An error wraps
// pipeline.ErrInvalid when dir is not the root of a filesystem, and
// otherwise the system call's error (EPERM without CAP_SYS_ADMIN, EINVAL
// on a kernel older than 5.17, EOPNOTSUPP or ENODEV for a filesystem
// without file handles).
func Start(dir string, emit func(Event)) (*Watcher, error) {
	if err := mountRoot(dir); err != nil {
		return nil, err
	}
	fd, err := unix.FanotifyInit(initFlags, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_LARGEFILE)
	if err != nil {
		return nil, fmt.Errorf("fswatch: fanotify_init: %w", err)
	}
	w := &Watcher{fd: fd, wakeR: -1, wakeW: -1, emit: emit, done: make(chan struct{})}
	if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, markMask, unix.AT_FDCWD, dir); err != nil {
		w.closeFDs()
		return nil, fmt.Errorf("fswatch: fanotify_mark %s: %w", dir, err)
	}
	if w.res, err = newResolver(dir); err != nil {
		w.closeFDs()
		return nil, fmt.Errorf("fswatch: %w", err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		w.closeFDs()
		return nil, fmt.Errorf("fswatch: %w", err)
	}
	w.wakeR, w.wakeW = p[0], p[1]
	w.res.learnTree(dir)
	w.in = newInterpreter(w.res)
	go w.loop()
	return w, nil
}

// mountRoot checks that dir is the root of a mount: marking the
// filesystem of an ordinary directory would record the whole host's.
func mountRoot(dir string) error {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, dir, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &st); err != nil {
		return fmt.Errorf("fswatch: %w", &os.PathError{Op: "statx", Path: dir, Err: err})
	}
	if st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT == 0 {
		return fmt.Errorf("fswatch: %s: the kernel does not say whether it is a mount point", dir)
	}
	if st.Attributes&unix.STATX_ATTR_MOUNT_ROOT == 0 {
		return fmt.Errorf("fswatch: %s is not the root of a filesystem of its own: %w", dir, pipeline.ErrInvalid)
	}
	return nil
}

// Stop reads the events still queued, passes them to emit, stops the
// goroutine and releases the group. Events after Stop are not recorded.
// Stop is idempotent and returns the counts.
func (w *Watcher) Stop() Stats {
	w.once.Do(func() {
		unix.Write(w.wakeW, []byte{0})
		<-w.done
		w.closeFDs()
	})
	return w.stats
}

func (w *Watcher) closeFDs() {
	for _, fd := range []int{w.fd, w.wakeR, w.wakeW} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	if w.res != nil {
		w.res.close()
	}
}

// loop waits for events or Stop's wake-up; after the wake-up it reads
// what is left in the queue and returns.
func (w *Watcher) loop() {
	defer close(w.done)
	buf := make([]byte, readBuf)
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}, {Fd: int32(w.wakeR), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		stopping := fds[1].Revents != 0
		for w.read(buf) {
		}
		if stopping {
			return
		}
	}
}

// read reads once from the group and handles what it got; it reports
// whether there may be more.
func (w *Watcher) read(buf []byte) bool {
	n, err := unix.Read(w.fd, buf)
	if err != nil || n <= 0 {
		return errors.Is(err, unix.EINTR)
	}
	now := time.Now()
	evs, err := decodeEvents(buf[:n])
	if err != nil {
		w.stats.Malformed++
	}
	for _, ev := range evs {
		if ev.fd >= 0 {
			unix.Close(int(ev.fd))
		}
		if ev.mask&unix.FAN_Q_OVERFLOW != 0 {
			w.stats.Overflows++
			continue
		}
		w.handle(ev, now)
	}
	w.stats.Unresolved = w.in.unresolved
	return true
}

// handle passes the Events of one raw event to emit.
func (w *Watcher) handle(ev rawEvent, now time.Time) {
	out := w.in.events(ev)
	if len(out) == 0 {
		return
	}
	comm, exe := procInfo(int(ev.pid))
	for _, e := range out {
		e.Time, e.PID, e.Comm, e.Exe = now, int(ev.pid), comm, exe
		w.emit(e)
		w.stats.Events++
	}
}

// procInfo returns the name and program of process pid, "" when it has
// exited. The program's path is resolved in the process's own mount
// namespace, as far as this one can see: a sandboxed process's is the
// path inside its root.
func procInfo(pid int) (comm, exe string) {
	if pid <= 0 {
		return "", ""
	}
	dir := "/proc/" + strconv.Itoa(pid)
	if b, err := os.ReadFile(dir + "/comm"); err == nil {
		comm = strings.TrimSuffix(string(b), "\n")
	}
	exe, _ = os.Readlink(dir + "/exe")
	return comm, strings.TrimSuffix(exe, " (deleted)")
}
