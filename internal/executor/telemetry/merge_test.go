package telemetry

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
)

// t0 is the start of the merge tests' clock.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// mergeInput is one event handed to the recorder.
type mergeInput struct {
	trace *record
	file  *fswatch.Event
	conn  *Conn
	sent  *netip.AddrPort // a traced send to this address by pid 10
}

// testRecorder returns a recorder with a tracker that knows pid 1 as
// bwrap's and pids 10 and 11 as the command's, and a root where /bin/sh
// links to busybox.
func testRecorder(t *testing.T, out *bytes.Buffer) *recorder {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", filepath.Join(dir, "bin", "sh")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	r := newRecorder(out, 100, mergeLag, &Stats{})
	r.root, r.pairing = root, true
	r.tr = newTracker("/bin/sh", "/", r.addTrace)
	r.tr.outside[1] = true
	r.tr.procs[10] = &proc{ppid: 1, comm: "sh"}
	r.tr.procs[11] = &proc{ppid: 10, comm: "cp"}
	return r
}

func (in mergeInput) feed(r *recorder) {
	switch {
	case in.trace != nil:
		r.mu.Lock()
		r.addTrace(in.trace)
		r.mu.Unlock()
	case in.file != nil:
		r.addFile(*in.file)
	case in.conn != nil:
		r.addConn(*in.conn)
	case in.sent != nil:
		r.mu.Lock()
		r.sent(sender{at: at(1), pid: 10, ppid: 1, comm: "tftp"}, *in.sent)
		r.mu.Unlock()
	}
}

func TestRecorder(t *testing.T) {
	execRec := func(ms, pid int, exe string) *record {
		return &record{at: at(ms), Type: typeExec, PID: pid, Exe: exe, Argv: []string{exe}}
	}
	file := func(ms, pid int, op fswatch.Op, path string) *fswatch.Event {
		return &fswatch.Event{Time: at(ms), PID: pid, Comm: "x", Op: op, Path: path}
	}
	dst := netip.MustParseAddrPort("203.0.113.5:69")
	tests := []struct {
		name string
		in   []mergeInput
		want []string // "ms type pid detail" of each line written
	}{
		{name: "an exec of a fresh file follows its creation",
			in: []mergeInput{{file: file(10, 11, fswatch.OpCreate, "/tmp/x")}, {trace: execRec(5, 10, "/tmp/x")},
				{file: file(12, 10, fswatch.OpExec, "/tmp/x")}},
			want: []string{"10 file 11 create /tmp/x", "12 exec 10 /tmp/x"}},
		{name: "an exec read after fanotify's opening is paired too",
			in: []mergeInput{{file: file(10, 11, fswatch.OpCreate, "/tmp/x")}, {file: file(12, 10, fswatch.OpExec, "/tmp/x")},
				{trace: execRec(5, 10, "/tmp/x")}},
			want: []string{"10 file 11 create /tmp/x", "12 exec 10 /tmp/x"}},
		{name: "an exec through a symbolic link pairs with its target",
			in:   []mergeInput{{file: file(9, 10, fswatch.OpExec, "/bin/busybox")}, {trace: execRec(5, 10, "/bin/sh")}},
			want: []string{"9 exec 10 /bin/sh"}},
		{name: "an opening strace did not report: an exec when the file was written",
			in: []mergeInput{{file: file(3, 11, fswatch.OpWrite, "/tmp/interp")}, {file: file(4, 10, fswatch.OpExec, "/tmp/interp")},
				{file: file(5, 10, fswatch.OpExec, "/bin/busybox")}},
			want: []string{"3 file 11 write /tmp/interp", "4 exec 10 /tmp/interp fanotify"}},
		{name: "a deleted file is no longer fresh",
			in: []mergeInput{{file: file(3, 11, fswatch.OpCreate, "/tmp/t")}, {file: file(4, 11, fswatch.OpDelete, "/tmp/t")},
				{file: file(5, 10, fswatch.OpExec, "/tmp/t")}},
			want: []string{"3 file 11 create /tmp/t", "4 file 11 delete /tmp/t"}},
		{name: "bwrap's setup is dropped",
			in:   []mergeInput{{file: file(1, 1, fswatch.OpCreate, "/secpipe")}, {file: file(2, 10, fswatch.OpCreate, "/tmp/a")}},
			want: []string{"2 file 10 create /tmp/a"}},
		{name: "sources interleave in time",
			in: []mergeInput{{trace: &record{at: at(7), Type: typeConnect, PID: 10, Proto: "tcp", DstIP: "10.0.0.1", DstPort: 80}},
				{file: file(3, 10, fswatch.OpChmod, "/etc/x")}, {trace: execRec(5, 11, "/bin/cp")}},
			want: []string{"3 file 10 chmod /etc/x", "5 exec 11 /bin/cp", "7 connect 10 10.0.0.1:80"}},
		{name: "a datagram is named after its sender",
			in: []mergeInput{{sent: &dst}, {conn: &Conn{Time: at(2), Proto: "udp", Src: netip.MustParseAddrPort("203.0.113.5:4000"),
				Dst: dst, Bytes: 20, Data: "0001"}}},
			want: []string{"2 connect 10 203.0.113.5:69 tftp sinkhole"}},
		{name: "a datagram long after the send is not",
			in: []mergeInput{{sent: &dst}, {conn: &Conn{Time: at(9000), Proto: "udp", Src: netip.MustParseAddrPort("203.0.113.5:4000"),
				Dst: dst}}},
			want: []string{"9000 connect 0 203.0.113.5:69  sinkhole"}},
		{name: "a connection without a destination is dropped",
			in: []mergeInput{{conn: &Conn{Time: at(1), Proto: "udp"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			r := testRecorder(t, &out)
			for _, in := range tt.in {
				in.feed(r)
			}
			r.finish()
			got := summarize(t, out.Bytes())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("log (-want +got):\n%s\n%s", diff, out.String())
			}
		})
	}
}

// summarize turns each line of a log into "ms type pid detail".
func summarize(t *testing.T, log []byte) []string {
	t.Helper()
	var out []string
	for _, e := range readBack(t, log) {
		ms := e.Time.Sub(t0).Milliseconds()
		var detail string
		switch e.Type {
		case "exec":
			detail = e.Exe
		case "file":
			detail = e.Op + " " + e.Path
		case "connect":
			detail = netip.AddrPortFrom(e.DstIP, uint16(e.DstPort)).String()
		}
		if e.Type == "connect" && e.SrcIP.IsValid() {
			detail += " " + e.Comm + " sinkhole"
		}
		out = append(out, strings.TrimSpace(strings.Join([]string{itoa(ms), string(e.Type), itoa(int64(e.PID)), detail}, " ")))
	}
	// The source of fanotify's own execs.
	for i, l := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		if strings.Contains(l, `"type":"exec"`) && strings.Contains(l, `"source":"fanotify"`) {
			out[i] += " fanotify"
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRecorderFlush: an event is written once it is lag old and older
// than any call the trace holds back.
func TestRecorderFlush(t *testing.T) {
	var out bytes.Buffer
	r := testRecorder(t, &out)
	mergeInput{file: &fswatch.Event{Time: at(0), PID: 10, Op: fswatch.OpCreate, Path: "/a"}}.feed(r)
	mergeInput{file: &fswatch.Event{Time: at(400), PID: 10, Op: fswatch.OpCreate, Path: "/b"}}.feed(r)
	r.flush(at(450))
	if out.Len() != 0 {
		t.Fatalf("wrote events younger than the lag:\n%s", out.String())
	}
	r.flush(at(600))
	if got := summarize(t, out.Bytes()); !cmp.Equal(got, []string{"0 file 10 create /a"}) {
		t.Fatalf("after 600 ms: %q, want /a only", got)
	}
	// An unfinished call from 100 ms holds back what came after it.
	r.mu.Lock()
	r.tr.pending[10] = rawLine{pid: 10, time: at(100), name: "connect"}
	r.mu.Unlock()
	r.flush(at(1000))
	if got := summarize(t, out.Bytes()); len(got) != 1 {
		t.Fatalf("an unfinished call did not hold back later events: %q", got)
	}
	r.mu.Lock()
	delete(r.tr.pending, 10)
	r.mu.Unlock()
	r.flush(at(1000))
	if got := summarize(t, out.Bytes()); len(got) != 2 {
		t.Fatalf("once the call finished: %q, want both events", got)
	}
}
