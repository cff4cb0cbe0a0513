package telemetry

import (
	"container/heap"
	"io"
	"net/netip"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
)

// Bounds of the recorder's state, whatever the command does.
const (
	// maxQueued is the most events held for ordering; past it the
	// oldest is written at once.
	maxQueued = 1 << 17
	// maxWritten bounds the paths remembered as changed during the run.
	maxWritten = 1 << 16
	// maxExecs bounds the executions waiting to be paired, per process.
	maxExecs = 16
	// heldCap is how long a call held back by the trace (a blocked
	// connect, an unfinished call) may hold back the events after it.
	heldCap = 5 * time.Second
	// senderTTL is how far apart in time a traced send and a datagram
	// the network saw to the same address may be for the one to name
	// the process of the other.
	senderTTL = 5 * time.Second
	// maxSenders bounds the destinations remembered.
	maxSenders = 4096
)

// itemKind says where a queued event came from.
type itemKind int

const (
	kindTrace    itemKind = iota // strace
	kindFile                     // fanotify: a change
	kindExecOpen                 // fanotify: a program opened for execution
	kindConn                     // the network (a sinkhole's listener)
)

// item is an event waiting in the recorder's queue.
type item struct {
	rec   record
	kind  itemKind
	seq   uint64
	index int
	// path is the executable a trace exec ran, symbolic links resolved
	// inside the root, or the file of an exec-open.
	path string
	// paired is set on an exec-open once a trace exec claimed it.
	paired bool
	// dst is a connection's destination.
	dst netip.AddrPort
}

// queue orders items by time, then by arrival.
type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].rec.at.Equal(q[j].rec.at) {
		return q[i].rec.at.Before(q[j].rec.at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *queue) Push(x any) {
	it := x.(*item)
	it.index = len(*q)
	*q = append(*q, it)
}
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	it.index = -1
	return it
}

// recorder merges the events of the trace, of fanotify and of the network
// into one log in time order and writes it. An event is written once it
// is lag older than the clock and than any call the trace still holds
// back, so that the sources, each about in order, interleave correctly.
//
// With fanotify, each exec of the trace is paired with fanotify's opening
// of the program by the same process (the same path, symbolic links
// resolved inside the root): the exec is then timed no earlier than the
// opening, so a file written before it (which fanotify queued before the
// opening) comes before it in the log. An opening no exec claimed — a
// script's interpreter, a program the trace did not see start — is
// reported as an exec of its own when the file was changed during the run.
//
// A datagram the network saw is named after the traced process that last
// sent to its destination (a connect or a send with an address), when
// that was within seconds of it.
//
// Its methods are safe for concurrent use; the tracker is used under its
// lock.
type recorder struct {
	mu    sync.Mutex
	tr    *tracker
	out   io.Writer
	max   int
	lag   time.Duration
	stats *Stats
	werr  error

	q   queue
	seq uint64

	// root is the sandbox's root, to resolve symbolic links and read
	// scripts' interpreters in; nil when it cannot be opened.
	root *os.Root
	// pairing is set when fanotify reports executions.
	pairing bool
	opens   map[int][]*item
	waits   map[int][]*item
	written map[string]bool
	senders map[netip.AddrPort]sender
}

func newRecorder(out io.Writer, max int, lag time.Duration, stats *Stats) *recorder {
	return &recorder{out: out, max: max, lag: lag, stats: stats, opens: make(map[int][]*item),
		waits: make(map[int][]*item), written: make(map[string]bool), senders: make(map[netip.AddrPort]sender)}
}

// push queues it; past maxQueued the oldest event is written at once.
func (r *recorder) push(it *item) {
	r.seq++
	it.seq = r.seq
	heap.Push(&r.q, it)
	if r.q.Len() > maxQueued {
		r.emit(heap.Pop(&r.q).(*item))
	}
}

// addTrace queues an event of the trace; the tracker calls it under the
// lock.
func (r *recorder) addTrace(rec *record) {
	it := &item{rec: *rec, kind: kindTrace, index: -1}
	switch {
	case rec.Type == typeExec && r.pairing:
		r.pairTraceExec(it)
	case rec.Type == typeConnect && rec.Proto == "udp":
		if ip, err := netip.ParseAddr(rec.DstIP); err == nil {
			r.sent(sender{at: rec.at, pid: rec.PID, ppid: rec.PPID, comm: rec.Comm}, netip.AddrPortFrom(ip, uint16(rec.DstPort)))
		}
	}
	r.push(it)
}

// sent remembers the last process that sent to dst; the tracker calls it
// under the lock.
func (r *recorder) sent(s sender, dst netip.AddrPort) {
	if len(r.senders) >= maxSenders {
		clear(r.senders)
	}
	r.senders[dst] = s
}

// addFile queues an event of fanotify.
func (r *recorder) addFile(e fswatch.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Op == fswatch.OpExec {
		it := &item{kind: kindExecOpen, path: e.Path,
			rec: record{at: e.Time, Type: typeExec, PID: e.PID, Comm: e.Comm, Exe: e.Path, Source: "fanotify"}}
		if !r.pairExecOpen(it) {
			r.push(it)
		}
		return
	}
	switch e.Op {
	case fswatch.OpDelete:
		delete(r.written, e.Path)
	case fswatch.OpRename:
		delete(r.written, e.OldPath)
		fallthrough
	default:
		if len(r.written) < maxWritten {
			r.written[e.Path] = true
		}
	}
	r.push(&item{kind: kindFile,
		rec: record{at: e.Time, Type: typeFile, PID: e.PID, Comm: e.Comm, Exe: e.Exe, Op: string(e.Op), Path: e.Path,
			Source: "fanotify"}})
}

// addConn queues a connection the network saw; one without a
// destination address is dropped.
func (r *recorder) addConn(c Conn) {
	if !c.Dst.Addr().IsValid() {
		return
	}
	rec := record{at: c.Time, Type: typeConnect, Proto: c.Proto, DstIP: c.Dst.Addr().String(), DstPort: int(c.Dst.Port()),
		Bytes: c.Bytes, Data: c.Data, Source: "sinkhole"}
	if c.Src.Addr().IsValid() {
		rec.SrcIP, rec.SrcPort = c.Src.Addr().String(), int(c.Src.Port())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Conns++
	r.push(&item{kind: kindConn, dst: c.Dst, rec: rec})
}

// pairTraceExec pairs a trace exec with an opening fanotify reported
// already, or leaves it waiting for one.
func (r *recorder) pairTraceExec(it *item) {
	it.path = r.realPath(it.rec.Exe)
	pid := it.rec.PID
	for i, o := range r.opens[pid] {
		if o.path == it.path || o.path == it.rec.Exe {
			o.paired = true
			r.opens[pid] = append(r.opens[pid][:i:i], r.opens[pid][i+1:]...)
			if o.rec.at.After(it.rec.at) {
				it.rec.at = o.rec.at
			}
			return
		}
	}
	r.waits[pid] = appendBounded(r.waits[pid], it)
}

// pairExecOpen hands an opening to the trace exec waiting for it, and
// reports whether there was one.
func (r *recorder) pairExecOpen(o *item) bool {
	pid := o.rec.PID
	for i, it := range r.waits[pid] {
		if o.path == it.path || o.path == it.rec.Exe {
			r.waits[pid] = append(r.waits[pid][:i:i], r.waits[pid][i+1:]...)
			if o.rec.at.After(it.rec.at) {
				it.rec.at = o.rec.at
				if it.index >= 0 {
					heap.Fix(&r.q, it.index)
				}
			}
			return true
		}
	}
	r.opens[pid] = appendBounded(r.opens[pid], o)
	return false
}

// maxLinks bounds the symbolic links followed to resolve one path.
const maxLinks = 40

// realPath follows the symbolic links of p inside the sandbox's root, as
// the kernel does for the sandboxed processes; a path it cannot follow is
// returned as far as it got.
func (r *recorder) realPath(p string) string {
	if r.root == nil || !path.IsAbs(p) {
		return p
	}
	done := "/"
	rest := strings.Split(p, "/")
	for links := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "" || name == "." {
			continue
		}
		next := path.Join(done, name)
		target, err := r.root.Readlink(strings.TrimPrefix(next, "/"))
		if err != nil || target == "" {
			done = next
			continue
		}
		if links++; links > maxLinks {
			return next
		}
		if path.IsAbs(target) {
			done = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return done
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// scriptHead is how much of a file interpreter reads.
const scriptHead = 256

// interpreter returns the interpreter a script at p inside the root names
// on its #! line, "" for anything else. It opens p without blocking (a
// FIFO) and reads only a regular file.
func (r *recorder) interpreter(p string) string {
	if r.root == nil || !path.IsAbs(p) {
		return ""
	}
	f, err := r.root.OpenFile(strings.TrimPrefix(p, "/"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	var buf [scriptHead]byte
	n, _ := io.ReadFull(f, buf[:])
	line, ok := strings.CutPrefix(string(buf[:n]), "#!")
	if !ok {
		return ""
	}
	line, _, _ = strings.Cut(line, "\n")
	fields := strings.Fields(line)
	if len(fields) == 0 || !path.IsAbs(fields[0]) {
		return ""
	}
	return path.Clean(fields[0])
}

// appendBounded appends it, forgetting the oldest past maxExecs.
func appendBounded(list []*item, it *item) []*item {
	if len(list) >= maxExecs {
		list = list[1:]
	}
	return append(list, it)
}

// forget drops it from the pairing lists.
func (r *recorder) forget(list map[int][]*item, it *item) {
	pid := it.rec.PID
	for i, x := range list[pid] {
		if x == it {
			list[pid] = append(list[pid][:i:i], list[pid][i+1:]...)
			break
		}
	}
	if len(list[pid]) == 0 {
		delete(list, pid)
	}
}

// flush writes the events old enough to be in their place: older than
// now by lag, and than what the trace holds back.
func (r *recorder) flush(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	mark := now.Add(-r.lag)
	if held, ok := r.tr.heldSince(now.Add(-heldCap)); ok && held.Before(mark) {
		mark = held
	}
	for r.q.Len() > 0 && !r.q[0].rec.at.After(mark) {
		r.emit(heap.Pop(&r.q).(*item))
	}
}

// finish writes every queued event.
func (r *recorder) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.q.Len() > 0 {
		r.emit(heap.Pop(&r.q).(*item))
	}
}

// emit writes a dequeued event, completing fanotify's events with what
// the trace knows of their process and dropping those of bwrap's setup.
func (r *recorder) emit(it *item) {
	switch it.kind {
	case kindTrace:
		if it.rec.Type == typeExec {
			r.forget(r.waits, it)
		}
	case kindExecOpen:
		r.forget(r.opens, it)
		if it.paired || !r.written[it.path] {
			return
		}
		fallthrough
	case kindConn:
		// By now the trace has shown the send that caused it.
		if s, ok := r.senders[it.dst]; ok && it.rec.Proto == "udp" && absDuration(it.rec.at.Sub(s.at)) < senderTTL {
			it.rec.PID, it.rec.PPID, it.rec.Comm = s.pid, s.ppid, s.comm
		}
	case kindFile:
		ppid, comm, bwrap := r.tr.owner(it.rec.PID)
		if bwrap {
			return
		}
		it.rec.PPID = ppid
		if it.rec.Comm == "" {
			it.rec.Comm = comm
		}
	}
	r.write(&it.rec)
}

// write writes one event unless the bound is reached or a write failed.
func (r *recorder) write(rec *record) {
	if r.werr != nil || r.stats.Events >= r.max {
		r.stats.Dropped++
		return
	}
	if _, err := r.out.Write(rec.marshal()); err != nil {
		r.werr = err
		r.stats.Dropped++
		return
	}
	r.stats.Events++
}
