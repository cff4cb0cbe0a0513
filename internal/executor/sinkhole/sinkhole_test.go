package sinkhole

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/image/base"
)

// query builds a DNS query for name.
func query(t *testing.T, name string, typ dnsmessage.Type) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 42, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET})
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		name string
		typ  dnsmessage.Type
		ipv6 bool
		want string // the address answered, "" for none
	}{
		{name: "A", typ: dnsmessage.TypeA, want: Address},
		{name: "AAAA with IPv6", typ: dnsmessage.TypeAAAA, ipv6: true, want: Address6},
		{name: "AAAA without IPv6", typ: dnsmessage.TypeAAAA},
		{name: "MX", typ: dnsmessage.TypeMX, ipv6: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &Log{IPv6: tt.ipv6}
			resp, ok := answer(query(t, "guarddutyc2activityb.com.", tt.typ), "udp", log)
			if !ok {
				t.Fatal("answer refused a well-formed query")
			}
			var p dnsmessage.Parser
			hdr, err := p.Start(resp)
			if err != nil || hdr.ID != 42 || !hdr.Response {
				t.Fatalf("reply header = %+v, %v; want a response with ID 42", hdr, err)
			}
			p.SkipAllQuestions()
			got := ""
			switch rh, err := p.AnswerHeader(); {
			case err != nil:
			case rh.Type == dnsmessage.TypeA:
				r, _ := p.AResource()
				got = netip.AddrFrom4(r.A).String()
			case rh.Type == dnsmessage.TypeAAAA:
				r, _ := p.AAAAResource()
				got = netip.AddrFrom16(r.AAAA).String()
			}
			if got != tt.want {
				t.Errorf("answered %q, want %q", got, tt.want)
			}
			want := []Query{{Name: "guarddutyc2activityb.com", Type: strings.TrimPrefix(tt.typ.String(), "Type"), Proto: "udp"}}
			if diff := cmp.Diff(want, log.Queries, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Time" }, cmp.Ignore())); diff != "" {
				t.Errorf("logged (-want +got):\n%s", diff)
			}
		})
	}
	// A reply, or garbage, is not answered.
	log := &Log{}
	resp, _ := answer(query(t, "example.com.", dnsmessage.TypeA), "udp", log)
	if _, ok := answer(resp, "udp", log); ok {
		t.Error("answer answered a response")
	}
	if _, ok := answer([]byte{1, 2, 3}, "udp", log); ok {
		t.Error("answer answered garbage")
	}
}

func TestShorten(t *testing.T) {
	for in, want := range map[string]string{"": "", "login\n": "6c6f67696e0a",
		"0123456789abcdefXYZ": "30313233343536373839616263646566…"} {
		if got := shorten([]byte(in)); got != want {
			t.Errorf("shorten(%q) = %q, want %q", in, got, want)
		}
	}
}

// need skips the test without root, ip, bwrap or busybox, and fails it
// under CI.
func need(t *testing.T) string {
	t.Helper()
	for _, need := range []func() error{Available, sandbox.Available} {
		if err := need(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	root := filepath.Join(t.TempDir(), "root")
	if _, err := base.Prepare(context.Background(), "busybox", root, base.Options{}); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return root
}

// sameConn compares what a test can know of a Conn: not its time, nor the
// sender's port.
func sameConn(got, want Conn) bool {
	return got.Proto == want.Proto && got.Dst == want.Dst && got.Bytes == want.Bytes && got.Data == want.Data &&
		got.Src.Addr().IsValid()
}

// runSandbox runs script in a busybox sandbox inside a sinkhole.
func runSandbox(t *testing.T, root, script string, opts Options) (*Log, string) {
	t.Helper()
	var out bytes.Buffer
	log, err := Run(context.Background(), filepath.Dir(root), opts, func(resolv string) error {
		code, err := sandbox.Run(context.Background(), sandbox.Spec{Root: root, Network: true, ResolvConf: resolv,
			Argv: []string{"/bin/sh", "-c", script}, Stdout: &out, Stderr: &out})
		if err == nil && code != 0 {
			t.Errorf("sandbox exit %d: %s", code, out.String())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return log, out.String()
}

// TestRunSandbox: a sandbox sharing the sinkhole's network resolves any
// name to the sinkhole and connects to it; nothing reaches the host.
func TestRunSandbox(t *testing.T) {
	root := need(t)
	log, out := runSandbox(t, root, "nslookup pool.minexmr.com; echo login | nc 203.0.113.7 3333; echo exit=$?", Options{})
	if !strings.Contains(out, "Address: "+Address) || !strings.Contains(out, "exit=0") {
		t.Errorf("sandbox output:\n%s\nwant the name resolved to %s and nc to succeed", out, Address)
	}
	if len(log.Queries) == 0 || log.Queries[0].Name != "pool.minexmr.com" {
		t.Errorf("queries = %+v, want pool.minexmr.com", log.Queries)
	}
	want := Conn{Proto: "tcp", Dst: netip.MustParseAddrPort("203.0.113.7:3333"), Bytes: 6, Data: hex.EncodeToString([]byte("login\n"))}
	if len(log.Conns) != 1 || !sameConn(log.Conns[0], want) {
		t.Errorf("connections = %+v, want %+v", log.Conns, want)
	}
}

// TestRunUDP: datagrams to the sinkhole's UDP ports are logged with their
// original destination and first bytes, and passed to OnConn as they
// arrive; those to other ports (traceroute's) are not. tftp, which sends
// with sendto and retries, runs until the script sees its first datagram
// logged.
func TestRunUDP(t *testing.T) {
	root := need(t)
	var mu sync.Mutex
	var passed []Conn
	opts := Options{OnConn: func(c Conn) {
		mu.Lock()
		passed = append(passed, c)
		mu.Unlock()
		os.WriteFile(filepath.Join(root, "tmp", fmt.Sprint("seen-", c.Dst.Port())), nil, 0o644)
	}}
	script := `tftp -g -r boot.bin 203.0.113.5 2>/dev/null & a=$!
tftp -g -r x 198.51.100.1 123 2>/dev/null & b=$!
i=0; while ! [ -e /tmp/seen-69 -a -e /tmp/seen-123 ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done
kill $a $b; wait
traceroute -n -m 1 -q 1 -w 1 198.51.100.2 >/dev/null 2>&1
true`
	log, out := runSandbox(t, root, script, opts)
	want := []Conn{
		// TFTP read requests: opcode 1, the file name, "octet".
		{Proto: "udp", Dst: netip.MustParseAddrPort("203.0.113.5:69"), Bytes: 25, Data: "0001626f6f742e62696e006f63746574…"},
		{Proto: "udp", Dst: netip.MustParseAddrPort("198.51.100.1:123"), Bytes: 18, Data: "000178006f63746574007473697a6500…"},
	}
	for _, w := range want {
		if !slices.ContainsFunc(log.Conns, func(c Conn) bool { return sameConn(c, w) }) {
			t.Errorf("no datagram %+v in %+v\n%s", w, log.Conns, out)
		}
	}
	for _, c := range log.Conns {
		if p := c.Dst.Port(); p != 69 && p != 123 {
			t.Errorf("datagram to an unlisted port logged: %+v", c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(passed) != len(log.Conns) {
		t.Errorf("OnConn saw %d connections, the log has %d", len(passed), len(log.Conns))
	}
}

// TestRunIPv6: with IPv6 in the kernel, AAAA questions get the sinkhole's
// IPv6 address, and connections to any IPv6 address complete and are
// logged; the run says whether it had IPv6.
func TestRunIPv6(t *testing.T) {
	root := need(t)
	if _, err := os.Stat("/proc/net/if_inet6"); err != nil {
		t.Skip("the kernel has no IPv6")
	}
	log, out := runSandbox(t, root, "nslookup -type=aaaa c2.example; echo hello | nc 2001:db8::7 443; echo exit=$?", Options{})
	if !log.IPv6 {
		t.Fatal("Log.IPv6 = false on a kernel with IPv6")
	}
	if !strings.Contains(out, Address6) || !strings.Contains(out, "exit=0") {
		t.Errorf("sandbox output:\n%s\nwant the name resolved to %s and nc to succeed", out, Address6)
	}
	want := Conn{Proto: "tcp", Dst: netip.MustParseAddrPort("[2001:db8::7]:443"), Bytes: 6, Data: hex.EncodeToString([]byte("hello\n"))}
	if len(log.Conns) != 1 || !sameConn(log.Conns[0], want) {
		t.Errorf("connections = %+v, want %+v", log.Conns, want)
	}
}

// FuzzAnswer feeds arbitrary messages to the DNS server's answer: it must
// not panic, and what it answers is a response to the same query ID.
func FuzzAnswer(f *testing.F) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName("x.example."), Type: dnsmessage.TypeAAAA, Class: dnsmessage.ClassINET})
	seed, _ := b.Finish()
	f.Add(seed, true)
	f.Add([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1}, false)
	f.Fuzz(func(t *testing.T, msg []byte, ipv6 bool) {
		resp, ok := answer(msg, "udp", &Log{IPv6: ipv6})
		if !ok {
			return
		}
		var p dnsmessage.Parser
		hdr, err := p.Start(resp)
		if err != nil || !hdr.Response || hdr.ID != uint16(msg[0])<<8|uint16(msg[1]) {
			t.Fatalf("answer to %x = %x (%+v, %v), want a response with the query's ID", msg, resp, hdr, err)
		}
	})
}
