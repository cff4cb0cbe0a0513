package telemetry

import (
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxProcs bounds the processes a tracker remembers; a fork bomb cannot
// make it grow without end. Past it, new processes start with no state.
const maxProcs = 1 << 16

// maxFDs bounds the descriptors remembered per process.
const maxFDs = 1024

// maxDeferred bounds the calls held back for one process whose parent's
// clone has not returned yet; past it, its calls are applied at once.
const maxDeferred = 4096

// proc is what the tracker knows of one process (threads share it).
type proc struct {
	ppid int
	exe  string
	// bin is the interpreter when exe is a script: what the kernel runs,
	// and what /proc/self/exe names.
	bin  string
	comm string
	// cwd is the working directory inside the sandbox, "" when unknown.
	cwd string
	fds map[int]fdInfo
	// placeholder is set while the process is known only from its own
	// lines, before its parent's clone returned.
	placeholder bool
}

// fdInfo describes an open descriptor.
type fdInfo struct {
	// desc is what the event log calls it: "socket:tcp:IP:PORT", "pipe",
	// a path.
	desc string
	// proto is "tcp" or "udp" for an Internet socket.
	proto string
	// port is the local port bound, for listen events.
	port int
	// dns marks a socket connected to port 53.
	dns bool
}

// tracker turns the calls of a strace log into events. It starts emitting
// at the first successful execve of the sandboxed command after bwrap's
// own; processes seen before that belong to bwrap and are never reported.
// Not safe for concurrent use.
type tracker struct {
	argv0   string
	dir     string
	execs   int // execve calls of bwrap before the command started
	started bool
	outside map[int]bool
	procs   map[int]*proc
	pending map[int]rawLine
	// deferred holds the calls of processes strace printed before their
	// parent's clone returned (a child can run first): they need the
	// working directory and descriptors the child inherits.
	deferred map[int][]call
	emit     func(*record)
	// foreign, when not nil, says that fanotify reports the changes of
	// the root's filesystem: file events are then reported only for
	// paths below these mount points of other filesystems.
	foreign []string
	// interpreter, when set, returns the interpreter of a script ("" for
	// a program).
	interpreter func(exe string) string
	// onSend, when set, learns who sent datagrams to which address:
	// UDP connects and sends with an address, which are not events.
	onSend func(s sender, dst netip.AddrPort)
}

// sender is the process that sent to an address, and when.
type sender struct {
	at        time.Time
	pid, ppid int
	comm      string
}

func newTracker(argv0, dir string, emit func(*record)) *tracker {
	if dir == "" {
		dir = "/"
	}
	return &tracker{argv0: argv0, dir: dir, outside: make(map[int]bool), procs: make(map[int]*proc),
		pending: make(map[int]rawLine), deferred: make(map[int][]call), emit: emit}
}

// reportsFile reports whether a change of path p is the trace's to
// report.
func (t *tracker) reportsFile(p string) bool {
	if t.foreign == nil {
		return true
	}
	for _, m := range t.foreign {
		if p == m || strings.HasPrefix(p, m+"/") {
			return true
		}
	}
	return false
}

// heldSince returns the earliest time of the calls still held back
// (unfinished, or waiting for their parent's clone) that started after
// notBefore: an event they yield may carry that time. ok is false when
// there is none.
func (t *tracker) heldSince(notBefore time.Time) (oldest time.Time, ok bool) {
	see := func(ts time.Time) {
		if !ts.Before(notBefore) && (!ok || ts.Before(oldest)) {
			oldest, ok = ts, true
		}
	}
	for _, r := range t.pending {
		see(r.time)
	}
	for _, held := range t.deferred {
		if len(held) > 0 {
			see(held[0].time)
		}
	}
	return oldest, ok
}

// owner returns the parent and name of process pid as far as the trace
// knows them, and whether pid belongs to bwrap rather than the command.
func (t *tracker) owner(pid int) (ppid int, comm string, bwrap bool) {
	if t.outside[pid] {
		return 0, "", true
	}
	if p, ok := t.procs[pid]; ok {
		return p.ppid, p.comm, false
	}
	return 0, "", false
}

// line handles one line of strace's output and reports whether it had
// strace's shape.
func (t *tracker) line(s string) bool {
	r, ok := parseLine(s)
	if !ok {
		return false
	}
	switch r.kind {
	case lineOther:
		return true
	case lineUnfinished:
		if len(t.pending) < maxProcs {
			t.pending[r.pid] = r
		}
		return true
	case lineResumed:
		start, ok := t.pending[r.pid]
		delete(t.pending, r.pid)
		if !ok || start.name != r.name {
			return false
		}
		r.time, r.body = start.time, start.body+r.body
	}
	c, ok := parseCall(r.pid, r.time, r.name, r.body)
	if !ok {
		return false
	}
	t.handle(&c)
	return true
}

// handle applies one finished call.
func (t *tracker) handle(c *call) {
	if !t.started {
		t.beforeStart(c)
		return
	}
	if t.outside[c.pid] {
		return
	}
	if t.deferCall(c) {
		return
	}
	switch c.name {
	case "execve", "execveat":
		t.exec(c)
	case "clone", "clone3", "fork", "vfork":
		t.clone(c)
	case "connect":
		t.connect(c)
	case "sendto", "sendmsg", "sendmmsg", "write":
		t.send(c)
	case "bind", "listen":
		t.bindListen(c)
	case "socket", "socketpair", "pipe", "pipe2", "accept", "accept4":
		t.newFD(c)
	case "dup", "dup2", "dup3", "close", "chdir", "fchdir":
		t.fdTable(c)
	default:
		t.file(c)
	}
}

// deferCall holds c back when its process is not known yet, and reports
// whether it did.
func (t *tracker) deferCall(c *call) bool {
	if p, ok := t.procs[c.pid]; (ok && !p.placeholder) || len(t.procs) >= maxProcs {
		return false
	}
	held, ok := t.deferred[c.pid]
	if len(held) >= maxDeferred || (!ok && len(t.deferred) >= maxProcs) {
		return false
	}
	t.deferred[c.pid] = append(held, *c)
	return true
}

// replay applies the calls held back for pid, now that it is known.
func (t *tracker) replay(pid int) {
	held, ok := t.deferred[pid]
	if !ok {
		return
	}
	delete(t.deferred, pid)
	for i := range held {
		t.handle(&held[i])
	}
}

// finish applies the calls of processes whose parent's clone never
// appeared, oldest process first, with what little is known of them.
func (t *tracker) finish() {
	pids := make([]int, 0, len(t.deferred))
	for pid := range t.deferred {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	for _, pid := range pids {
		held := t.deferred[pid]
		delete(t.deferred, pid)
		t.proc(pid).placeholder = false
		for i := range held {
			t.handle(&held[i])
		}
	}
}

// beforeStart watches bwrap's calls for the execve that starts the
// command; every process seen until then is bwrap's.
func (t *tracker) beforeStart(c *call) {
	switch {
	case c.name == "clone" || c.name == "clone3" || c.name == "fork" || c.name == "vfork":
		t.clone(c) // the command's parent is bwrap's
		t.outside[c.pid] = true
		return
	case c.name != "execve" || !c.hasRet || c.ret != 0 || len(c.args) == 0:
		t.outside[c.pid] = true
		return
	}
	t.execs++
	filename, _ := unquote(c.args[0])
	if t.execs == 1 || !t.isCommand(filename) {
		t.outside[c.pid] = true
		return
	}
	t.started = true
	delete(t.outside, c.pid)
	p := t.proc(c.pid)
	p.placeholder = false
	p.cwd, p.exe, p.bin, p.comm = t.dir, "", "", ""
	clear(p.fds) // bwrap's descriptors, named by host paths
	t.exec(c)
}

// isCommand reports whether execve's filename is the sandboxed command:
// argv[0] itself, or found on PATH when argv[0] has no slash.
func (t *tracker) isCommand(filename string) bool {
	if filename == t.argv0 {
		return true
	}
	return !strings.Contains(t.argv0, "/") && path.Base(filename) == t.argv0
}

// proc returns the state of pid, creating a placeholder for a process
// whose parent's clone has not returned yet.
func (t *tracker) proc(pid int) *proc {
	if p, ok := t.procs[pid]; ok {
		return p
	}
	p := &proc{fds: make(map[int]fdInfo), placeholder: true}
	if len(t.procs) < maxProcs {
		t.procs[pid] = p
	}
	return p
}

// clone records a new process or thread and what it inherits.
func (t *tracker) clone(c *call) {
	if !c.hasRet || c.ret <= 0 {
		return
	}
	child := int(c.ret)
	if n, ok := translatedPID(c.comment); ok {
		child = n
	}
	parent := t.proc(c.pid)
	if c.name != "fork" && c.name != "vfork" && strings.Contains(strings.Join(c.args, ","), "CLONE_THREAD") {
		if len(t.procs) < maxProcs {
			t.procs[child] = parent
		}
		t.replay(child)
		return
	}
	p := t.proc(child)
	if !p.placeholder {
		return
	}
	defer t.replay(child)
	p.placeholder = false
	p.ppid = c.pid
	if p.exe == "" {
		p.exe, p.bin, p.comm = parent.exe, parent.bin, parent.comm
	}
	if p.cwd == "" {
		p.cwd = parent.cwd
	}
	for fd, info := range parent.fds {
		if _, set := p.fds[fd]; !set {
			p.fds[fd] = info
		}
	}
}

// translatedPID reads strace's "2 /* 9615 in strace's PID NS */" comment.
func translatedPID(comment string) (int, bool) {
	num, rest, ok := strings.Cut(comment, " ")
	if !ok || !strings.HasPrefix(rest, "in strace's PID NS") {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n > 0
}

// exec reports a successful execve or execveat.
func (t *tracker) exec(c *call) {
	if !c.hasRet || c.ret != 0 {
		return
	}
	p := t.proc(c.pid)
	fileArg, argvArg := 0, 1
	if c.name == "execveat" {
		fileArg, argvArg = 1, 2
	}
	if len(c.args) <= argvArg {
		return
	}
	filename, _ := unquote(c.args[fileArg])
	argv, _ := unquoteArray(c.args[argvArg])
	exe, comm := filename, path.Base(filename)
	switch {
	case filename == "/proc/self/exe" && p.exe != "":
		exe = p.exe // busybox running one of its applets
		if p.bin != "" {
			exe = p.bin // from a script
		}
		if len(argv) > 0 {
			comm = path.Base(argv[0])
		}
	case c.name == "execveat" && !strings.HasPrefix(filename, "/") && !strings.HasPrefix(c.args[0], "AT_FDCWD"):
		exe = "" // relative to a directory descriptor
	default:
		exe = resolve(p.cwd, filename)
	}
	if len(comm) > 15 {
		comm = comm[:15]
	}
	p.exe, p.comm, p.bin = exe, comm, ""
	if t.interpreter != nil && exe != "" {
		p.bin = t.interpreter(exe)
	}
	r := newRecord(typeExec, c.time, c.pid, p)
	r.Exe, r.Argv, r.Cwd, r.FDs = exe, argv, p.cwd, stdFDs(p)
	t.emit(&r)
}

// stdFDs returns what descriptors 0, 1 and 2 are, when known.
func stdFDs(p *proc) map[string]string {
	var m map[string]string
	for fd := 0; fd <= 2; fd++ {
		if info, ok := p.fds[fd]; ok && info.desc != "" {
			if m == nil {
				m = make(map[string]string, 3)
			}
			m[strconv.Itoa(fd)] = info.desc
		}
	}
	return m
}

// resolve makes p absolute against cwd; it returns "" when p is relative
// and cwd unknown.
func resolve(cwd, p string) string {
	switch {
	case p == "":
		return ""
	case strings.HasPrefix(p, "/"):
		return path.Clean(p)
	case cwd != "":
		return path.Join(cwd, p)
	}
	return ""
}

// fdArg reads a descriptor argument ("3", or "3<...>" with -y).
func fdArg(s string) (int, bool) {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[:i]
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= 0
}

// setFD records info for fd of p, within the bound.
func setFD(p *proc, fd int, info fdInfo) {
	if _, ok := p.fds[fd]; ok || len(p.fds) < maxFDs {
		p.fds[fd] = info
	}
}
