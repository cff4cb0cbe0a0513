// Package sinkhole gives a verify run a network that leads nowhere: a
// network namespace of its own in which every address is local (a local
// route for 0.0.0.0/0 on its loopback), a DNS server that answers every
// name with the sinkhole address and logs the question, and TCP listeners
// on common ports that accept connections and log what was sent. No packet
// leaves the machine; traffic that would have gone to a command-and-control
// server or a mining pool completes against the sinkhole, so what the
// image does next is observed too.
//
// The servers belong to this process but their sockets live in the new
// namespace; processes started by the function Run calls inherit it.
// Linux only; needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2's ip.
package sinkhole

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Address is what the DNS server answers for every name.
const Address = "198.18.0.1"

// Ports are the TCP ports the sinkhole accepts connections on: web, mail,
// common reverse-shell and mining-pool ports. Other ports refuse.
var Ports = []int{21, 22, 23, 25, 80, 443, 465, 587, 1080, 3128, 3333, 4444, 5555, 6666, 6667, 7777, 8080, 8443,
	8888, 9999, 14433, 14444, 45560, 45700}

// Conn is one connection the sinkhole accepted.
type Conn struct {
	Time  time.Time
	Port  int
	Bytes int // received before the sinkhole closed it
}

// Query is one DNS question the sinkhole answered.
type Query struct {
	Time  time.Time
	Name  string
	Type  string
	Proto string
}

// Log is what the sinkhole saw; safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	Queries []Query
	Conns   []Conn
}

func (l *Log) query(q Query) {
	l.mu.Lock()
	l.Queries = append(l.Queries, q)
	l.mu.Unlock()
}

func (l *Log) conn(c Conn) {
	l.mu.Lock()
	l.Conns = append(l.Conns, c)
	l.mu.Unlock()
}

// Available reports whether a sinkhole can be made here: Linux, root, and
// iproute2's ip on PATH.
func Available() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("sinkhole: needs Linux network namespaces: %w", pipeline.ErrNotFound)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("sinkhole: needs root to make a network namespace: %w", pipeline.ErrNotFound)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("sinkhole: ip is not installed: apt-get install iproute2: %w", pipeline.ErrNotFound)
	}
	return nil
}

// Run makes the sinkhole namespace, starts its servers, writes a
// resolv.conf pointing at them into dir (its path is passed to fn), and
// calls fn on a thread inside the namespace: processes fn starts (a
// sandbox sharing its parent's network) live in it. The servers stop when
// fn returns; the namespace goes with its last process. The Log holds
// what the servers saw.
func Run(ctx context.Context, dir string, fn func(resolvConf string) error) (*Log, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	resolv := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver "+Address+"\noptions timeout:1 attempts:1\n"), 0o644); err != nil {
		return nil, err
	}
	log := &Log{}
	done := make(chan error, 1)
	go func() {
		// The thread stays locked and ends with the goroutine: its
		// network namespace is never handed back to the runtime.
		runtime.LockOSThread()
		done <- runInNamespace(ctx, log, func() error { return fn(resolv) })
	}()
	return log, <-done
}

// runInNamespace moves the calling (locked) thread into a new network
// namespace, sets it up, serves, and calls fn.
func runInNamespace(ctx context.Context, log *Log, fn func() error) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("sinkhole: new network namespace: %w", err)
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"route", "add", "local", "0.0.0.0/0", "dev", "lo"},
	} {
		// Children inherit the locked thread's namespace.
		if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("sinkhole: ip %v: %v: %s", args, err, out)
		}
	}
	srv, err := listen(log)
	if err != nil {
		return err
	}
	defer srv.close()
	return fn()
}

// servers are the sinkhole's sockets. Every goroutine they start is
// counted in wg, and open connections are closed by close, so that when
// close returns the Log is complete and no longer written.
type servers struct {
	udp   net.PacketConn
	tcp53 net.Listener
	tcps  []net.Listener
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
	done  bool
}

// handle runs fn on an accepted connection, tracked until it returns.
func (s *servers) handle(c net.Conn, fn func(net.Conn)) {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[c] = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		fn(c)
	}()
}

// listen opens the DNS server and the TCP listeners in the current
// thread's namespace and serves them.
func listen(log *Log) (*servers, error) {
	s := &servers{conns: map[net.Conn]bool{}}
	var err error
	if s.udp, err = net.ListenPacket("udp4", "0.0.0.0:53"); err != nil {
		return nil, fmt.Errorf("sinkhole: dns: %w", err)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); serveDNS(s.udp, log) }()
	if s.tcp53, err = net.Listen("tcp4", "0.0.0.0:53"); err != nil {
		s.close()
		return nil, fmt.Errorf("sinkhole: dns over tcp: %w", err)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.serveDNSTCP(s.tcp53, log) }()
	for _, port := range Ports {
		l, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", port))
		if err != nil {
			s.close()
			return nil, fmt.Errorf("sinkhole: port %d: %w", port, err)
		}
		s.tcps = append(s.tcps, l)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.serveTCP(l, port, log) }()
	}
	return s, nil
}

func (s *servers) close() {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp53 != nil {
		s.tcp53.Close()
	}
	for _, l := range s.tcps {
		l.Close()
	}
	s.wg.Wait()
}

// serveTCP accepts connections, reads what arrives for a moment and
// closes them.
func (s *servers) serveTCP(l net.Listener, port int, log *Log) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s.handle(c, func(c net.Conn) {
			buf := make([]byte, 4096)
			n, _ := c.Read(buf)
			log.conn(Conn{Time: time.Now(), Port: port, Bytes: n})
		})
	}
}

// serveDNS answers every question over UDP.
func serveDNS(pc net.PacketConn, log *Log) {
	buf := make([]byte, 1500)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, ok := answer(buf[:n], "udp", log); ok {
			pc.WriteTo(resp, addr)
		}
	}
}

// serveDNSTCP answers questions over TCP (two-byte length prefix).
func (s *servers) serveDNSTCP(l net.Listener, log *Log) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s.handle(c, func(c net.Conn) {
			var hdr [2]byte
			if _, err := ioReadFull(c, hdr[:]); err != nil {
				return
			}
			msg := make([]byte, int(hdr[0])<<8|int(hdr[1]))
			if _, err := ioReadFull(c, msg); err != nil {
				return
			}
			if resp, ok := answer(msg, "tcp", log); ok {
				c.Write(append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...))
			}
		})
	}
}

func ioReadFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// answer builds the reply to a query: the sinkhole address for A
// questions, no records otherwise. ok is false for what is not a query.
func answer(msg []byte, proto string, log *Log) ([]byte, bool) {
	var p dnsmessage.Parser
	hdr, err := p.Start(msg)
	if err != nil || hdr.Response {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := q.Name.String()
	log.query(Query{Time: time.Now(), Name: trimDot(name), Type: typeName(q.Type), Proto: proto})
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: hdr.ID, Response: true, Authoritative: true,
		RecursionDesired: hdr.RecursionDesired, RecursionAvailable: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, false
	}
	if err := b.Question(q); err != nil {
		return nil, false
	}
	if err := b.StartAnswers(); err != nil {
		return nil, false
	}
	if q.Type == dnsmessage.TypeA {
		ip := net.ParseIP(Address).To4()
		rh := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60}
		if err := b.AResource(rh, dnsmessage.AResource{A: [4]byte{ip[0], ip[1], ip[2], ip[3]}}); err != nil {
			return nil, false
		}
	}
	resp, err := b.Finish()
	if err != nil {
		return nil, false
	}
	return resp, true
}

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

func typeName(t dnsmessage.Type) string {
	s := t.String()
	if len(s) > 4 && s[:4] == "Type" {
		return s[4:]
	}
	return s
}
