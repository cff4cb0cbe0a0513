package telemetry

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseLine feeds arbitrary lines to the parser and the tracker, after
// a start that makes the tracker report events: neither may panic, and
// every event must read back with package threat's reader.
func FuzzParseLine(f *testing.F) {
	for _, name := range []string{"attack.strace", "edge.strace"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, MaxLineBytes)
		for sc.Scan() {
			f.Add(sc.Text())
		}
	}
	f.Add(`7 1.5 write(3, "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01", 16) = 16`)
	f.Add(`7 1.5 connect(3, {sa_family=AF_INET, sin_port=htons(99999), sin_addr=inet_addr("1.2.3.4")}, 16) = 0`)
	f.Add(`7 1.5 <... clone resumed>) = 5 /* x in strace's PID NS */`)
	start := []string{
		`1 1.0 execve("/usr/bin/bwrap", ["bwrap"], 0x1 /* 1 var */) = 0`,
		`2 1.1 execve("/bin/sh", ["sh"], 0x1 /* 1 var */) = 0`,
		`2 1.2 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 0`,
	}
	f.Fuzz(func(t *testing.T, line string) {
		if r, ok := parseLine(line); ok && r.pid <= 0 {
			t.Fatalf("parseLine(%q) pid %d", line, r.pid)
		}
		var out bytes.Buffer
		p := newParser(specArgv("/bin/sh"), &out, 100)
		for _, s := range start {
			p.line([]byte(s))
		}
		p.line([]byte(line))
		p.line([]byte(line)) // a second time: unfinished lines pair up
		p.tr.finish()
		if err := p.close(); err != nil {
			t.Fatal(err)
		}
		readBack(t, out.Bytes())
	})
}
