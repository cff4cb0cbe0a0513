package telemetry

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/scan/threat"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestParseGolden turns captured strace output into events and compares
// them with testdata/NAME.jsonl; the events must read back with package
// threat's reader.
func TestParseGolden(t *testing.T) {
	tests := []struct {
		name      string
		argv0     string
		wantStats Stats
	}{
		// A real capture of the attack script of run_test.go.
		{name: "attack", argv0: "/bin/sh", wantStats: Stats{Events: 18, Lines: 246}},
		// Hand-written lines: PATH lookup of the command, IPv6, execveat,
		// sendmmsg, descriptor tables, truncated strings, noise.
		{name: "edge", argv0: "sh", wantStats: Stats{Events: 15, Lines: 45, Unparsed: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := os.Open(filepath.Join("testdata", tt.name+".strace"))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out bytes.Buffer
			p := newParser(sandbox.Spec{Argv: []string{tt.argv0}}, &out, 1000)
			if err := p.parse(in); err != nil {
				t.Fatal(err)
			}
			if err := p.close(); err != nil {
				t.Fatal(err)
			}
			tt.wantStats.Files = FilesStrace
			if diff := cmp.Diff(tt.wantStats, *p.stats); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			golden := filepath.Join("testdata", tt.name+".jsonl")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			readBack(t, out.Bytes())
		})
	}
}

// readBack reads events with package threat's reader and returns them.
func readBack(t *testing.T, log []byte) []threat.Event {
	t.Helper()
	r := threat.NewReader("events", bytes.NewReader(log), threat.ReadOptions{})
	var evs []threat.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		evs = append(evs, ev)
	}
}

func TestMaxEvents(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "attack.strace"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := newParser(sandbox.Spec{Argv: []string{"/bin/sh"}}, &out, 5)
	if err := p.parse(bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	if got := len(readBack(t, out.Bytes())); got != 5 || p.stats.Events != 5 || p.stats.Dropped != 13 {
		t.Errorf("MaxEvents 5: %d events, stats %+v; want 5 written, 13 dropped", got, p.stats)
	}
}

func specArgv(argv0 string) sandbox.Spec { return sandbox.Spec{Argv: []string{argv0}} }

func TestDNSQuestion(t *testing.T) {
	query := []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03WwW\x07example\x03com\x00\x00\x41\x00\x01")
	tests := []struct {
		name      string
		msg       []byte
		wantName  string
		wantQType string
		wantOK    bool
	}{
		{name: "query", msg: query, wantName: "www.example.com", wantQType: "HTTPS", wantOK: true},
		{name: "unknown type", msg: append(append([]byte{}, query[:len(query)-4]...), 0x12, 0x34, 0, 1),
			wantName: "www.example.com", wantQType: "TYPE4660", wantOK: true},
		{name: "response", msg: append([]byte("\x12\x34\x81\x80"), query[4:]...)},
		{name: "no question", msg: append([]byte("\x12\x34\x01\x00\x00\x00"), query[6:]...)},
		{name: "pointer", msg: []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01")},
		{name: "truncated", msg: query[:20]},
		{name: "short", msg: []byte("\x12\x34")},
	}
	for _, tt := range tests {
		name, qtype, ok := dnsQuestion(tt.msg)
		if name != tt.wantName || qtype != tt.wantQType || ok != tt.wantOK {
			t.Errorf("%s: dnsQuestion = %q, %q, %v; want %q, %q, %v", tt.name, name, qtype, ok, tt.wantName, tt.wantQType, tt.wantOK)
		}
	}
}

func TestParseCall(t *testing.T) {
	tests := []struct {
		body string
		want call
		ok   bool
	}{
		{body: `0, 1)      = 1`, want: call{name: "dup2", args: []string{"0", "1"}, ret: 1, hasRet: true}, ok: true},
		{body: `AT_FDCWD, "\x2f\x78", O_RDONLY) = -1 ENOENT (No such file or directory)`,
			want: call{name: "dup2", args: []string{"AT_FDCWD", `"\x2f\x78"`, "O_RDONLY"}, ret: -1, hasRet: true, errno: "ENOENT"}, ok: true},
		{body: `child_stack=NULL, flags=SIGCHLD) = 2 /* 9615 in strace's PID NS */`,
			want: call{name: "dup2", args: []string{"child_stack=NULL", "flags=SIGCHLD"}, ret: 2, hasRet: true,
				comment: "9615 in strace's PID NS"}, ok: true},
		{body: `0) = ?`, want: call{name: "dup2", args: []string{"0"}}, ok: true},
		{body: `"a) = 1", 3`},
	}
	for _, tt := range tests {
		got, ok := parseCall(0, tt.want.time, "dup2", tt.body)
		if ok != tt.ok {
			t.Errorf("parseCall(%q) ok = %v, want %v", tt.body, ok, tt.ok)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(call{})); ok && diff != "" {
			t.Errorf("parseCall(%q) (-want +got):\n%s", tt.body, diff)
		}
	}
}

// TestChildBeforeClone moves every clone line of the traced shell after
// the first lines of the child it creates, as strace prints them when the
// child runs before its parent's clone returns: the child's relative paths
// and inherited descriptors must still resolve, so the events are those of
// the capture in its own order.
func TestChildBeforeClone(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "attack.strace"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(in), "\n")
	moved := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "10637 ") || !strings.Contains(l, " clone(") || strings.Contains(l, "unfinished") {
			continue
		}
		_, comment, _ := strings.Cut(l, "/* ")
		child, _, _ := strings.Cut(comment, " ")
		// Move the clone after the child's next three lines, short of the
		// shell's next clone or wait.
		j, seen := i+1, 0
		for ; j < len(lines) && seen < 3; j++ {
			if strings.HasPrefix(lines[j], child+" ") {
				seen++
				continue
			}
			if strings.HasPrefix(lines[j], "10637 ") && (strings.Contains(lines[j], " clone(") || strings.Contains(lines[j], " wait4(")) {
				break
			}
		}
		if seen == 0 {
			continue
		}
		rest := append([]string{}, lines[i+1:j]...)
		copy(lines[i:], rest)
		lines[j-1] = l
		moved++
		i = j - 1
	}
	if moved < 8 {
		t.Fatalf("moved %d clone lines, want at least 8", moved)
	}
	var out bytes.Buffer
	p := newParser(sandbox.Spec{Argv: []string{"/bin/sh"}}, &out, 1000)
	if err := p.parse(strings.NewReader(strings.Join(lines, ""))); err != nil {
		t.Fatal(err)
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "attack.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("events (-capture +reordered):\n%s", diff)
	}
}

// TestOrphanCalls: a process whose parent's clone never shows up still
// has its absolute-path events reported when the trace ends.
func TestOrphanCalls(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "attack.strace"))
	if err != nil {
		t.Fatal(err)
	}
	trace := string(in) + `77777 1795905927.000000 openat(AT_FDCWD, "\x2f\x65\x74\x63\x2f\x6f\x72\x70\x68\x61\x6e", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3` + "\n"
	var out bytes.Buffer
	p := newParser(sandbox.Spec{Argv: []string{"/bin/sh"}}, &out, 1000)
	if err := p.parse(strings.NewReader(trace)); err != nil {
		t.Fatal(err)
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"pid":77777`) || !strings.Contains(out.String(), `"path":"/etc/orphan"`) {
		t.Errorf("orphan's write not reported:\n%s", out.String())
	}
}
