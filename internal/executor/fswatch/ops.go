package fswatch

import (
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Op is what happened to a file.
type Op string

// The operations an Event reports. They are the file operations of
// package threat's event log, plus OpExec.
const (
	OpCreate Op = "create"
	OpWrite  Op = "write"
	OpRename Op = "rename"
	OpChmod  Op = "chmod"
	OpDelete Op = "delete"
	// OpExec is a file opened for execution: the program of an execve,
	// a script's interpreter, a program's dynamic loader.
	OpExec Op = "exec"
)

// maxSessions bounds the open-for-write sessions remembered; past it they
// are forgotten, which costs at most a repeated write or chmod event.
const maxSessions = 1 << 16

// resolver turns directory handles into paths inside the watched root.
type resolver interface {
	// dirPath returns the absolute path of directory h inside the root.
	dirPath(h handle) (string, bool)
	// exists reports whether directory h has an entry name now.
	exists(h handle, name string) bool
	// learn remembers that directory h is at path p, for when h can no
	// longer be opened.
	learn(h handle, p string)
}

// sessionKey is one process's use of one file.
type sessionKey struct {
	file string
	pid  int32
}

// session is what was already reported of a file a process has open for
// writing: a file it created is not also reported written or chmodded,
// and a file it writes many times is reported once, until it closes it.
type session struct {
	created, wrote, chmodded bool
}

// interpreter turns raw events into Events. Not safe for concurrent use.
type interpreter struct {
	res        resolver
	sessions   map[sessionKey]*session
	unresolved int
}

func newInterpreter(res resolver) *interpreter {
	return &interpreter{res: res, sessions: make(map[sessionKey]*session)}
}

// events returns what ev reports, in the order it happened as far as the
// event tells; PID, Comm and Time are left for the caller. The kernel
// merges events of one process on one file while they wait in the queue,
// so one raw event may yield several Events (create, write, delete of a
// temporary file). A write or chmod already reported in the session is
// dropped before the path is looked up, so a program writing a file in
// many small pieces costs little.
func (in *interpreter) events(ev rawEvent) []Event {
	if ev.mask&unix.FAN_RENAME != 0 {
		return in.rename(ev)
	}
	if ev.mask&(unix.FAN_CREATE|unix.FAN_ONDIR) == unix.FAN_CREATE|unix.FAN_ONDIR && ev.fid.valid() {
		if p, ok := in.path(ev.dir, ev.name); ok {
			in.res.learn(ev.fid, p) // a new directory: its events may outlive it
		}
	}
	key := sessionKey{file: ev.fid.key(), pid: ev.pid}
	if !ev.fid.valid() {
		key.file = "name:" + ev.dir.key() + "/" + ev.name
	}
	s := in.sessions[key]
	if s == nil {
		s = &session{}
	}
	closed := ev.mask&(unix.FAN_CLOSE_WRITE|unix.FAN_DELETE) != 0
	ops := in.ops(ev, s)
	if len(ops) == 0 {
		in.remember(key, s, closed)
		return nil
	}
	p, ok := in.path(ev.dir, ev.name)
	if !ok {
		in.unresolved++
		return nil
	}
	if ops[0] == OpDelete && len(ops) > 1 && !in.res.exists(ev.dir, ev.name) {
		ops = append(ops[1:], OpDelete) // the name is gone: a temporary file, created then deleted
	}
	out := make([]Event, len(ops))
	for i, op := range ops {
		out[i] = Event{Op: op, Path: p, Dir: ev.mask&unix.FAN_ONDIR != 0}
	}
	in.remember(key, s, closed)
	return out
}

// ops lists the operations of ev not yet reported in its session s, in
// their likely order, and updates s. A delete comes last (a file is
// written before its name goes), except when the name was also created:
// then it comes first, and events checks which order it was.
func (in *interpreter) ops(ev rawEvent, s *session) []Op {
	var ops []Op
	isDir := ev.mask&unix.FAN_ONDIR != 0
	created := ev.mask&unix.FAN_CREATE != 0 && !isDir // mkdir is not reported, as strace does not
	deleted := ev.mask&unix.FAN_DELETE != 0
	if deleted && created {
		ops = append(ops, OpDelete)
	}
	if created {
		ops = append(ops, OpCreate)
		s.created = true
	}
	if ev.mask&unix.FAN_MODIFY != 0 && !s.created && !s.wrote {
		ops = append(ops, OpWrite)
		s.wrote = true
	}
	// An attribute change with no name is a link count change of an
	// unlinked file: not a chmod.
	if ev.mask&unix.FAN_ATTRIB != 0 && !s.created && !s.chmodded && ev.dir.valid() {
		ops = append(ops, OpChmod)
		s.chmodded = true
	}
	if ev.mask&unix.FAN_OPEN_EXEC != 0 {
		ops = append(ops, OpExec)
	}
	if deleted && !created {
		ops = append(ops, OpDelete)
	}
	return ops
}

// remember keeps a session until the file is closed or deleted.
func (in *interpreter) remember(key sessionKey, s *session, closed bool) {
	switch {
	case closed || *s == (session{}):
		delete(in.sessions, key)
	default:
		if len(in.sessions) >= maxSessions {
			clear(in.sessions)
		}
		in.sessions[key] = s
	}
}

// rename reports a FAN_RENAME: the new name, with the old one.
func (in *interpreter) rename(ev rawEvent) []Event {
	newPath, ok := in.path(ev.newDir, ev.newName)
	if !ok {
		in.unresolved++
		return nil
	}
	oldPath, _ := in.path(ev.oldDir, ev.oldName)
	if ev.mask&unix.FAN_ONDIR != 0 && ev.fid.valid() {
		in.res.learn(ev.fid, newPath)
	}
	return []Event{{Op: OpRename, Path: newPath, OldPath: oldPath, Dir: ev.mask&unix.FAN_ONDIR != 0}}
}

// path joins the path of directory dir and the entry name ("." or ""
// for the directory itself). A name that is not one path element is
// refused.
func (in *interpreter) path(dir handle, name string) (string, bool) {
	if !dir.valid() || name == ".." || strings.ContainsRune(name, '/') {
		return "", false
	}
	d, ok := in.res.dirPath(dir)
	if !ok || !path.IsAbs(d) {
		return "", false
	}
	if name == "" || name == "." {
		return path.Clean(d), true
	}
	return path.Join(d, name), true
}
