// Package sinkhole gives a verify run a network that leads nowhere: a
// network namespace of its own in which every address is local (a local
// route for 0.0.0.0/0, and ::/0 when the kernel has IPv6, on its
// loopback), a DNS server that answers every name with the sinkhole
// address and logs the question, TCP listeners on common ports that
// accept connections and log what was sent, and UDP listeners on common
// ports that log every datagram. No packet leaves the machine; traffic
// that would have gone to a command-and-control server or a mining pool
// completes against the sinkhole, so what the image does next is observed
// too, and each connection and datagram is logged with its original
// destination.
//
// AAAA questions are answered with Address6 when the namespace has IPv6;
// when the kernel has IPv6 disabled they get an empty answer (no such
// record), so programs fall back to IPv4.
//
// The servers belong to this process but their sockets live in the new
// namespace; processes started by the function Run calls inherit it.
// Linux only; needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2's ip.
package sinkhole

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Address is what the DNS server answers for every A question.
const Address = "198.18.0.1"

// Address6 is what it answers for AAAA questions when the namespace has
// IPv6: an address of the benchmarking range 2001:2::/48 (RFC 5180),
// which no real host has.
const Address6 = "2001:2::1"

// Ports are the TCP ports the sinkhole accepts connections on: web, mail,
// common reverse-shell and mining-pool ports. Other ports refuse.
var Ports = []int{21, 22, 23, 25, 80, 443, 465, 587, 1080, 3128, 3333, 4444, 5555, 6666, 6667, 7777, 8080, 8443,
	8888, 9999, 14433, 14444, 45560, 45700}

// UDPPorts are the UDP ports, besides DNS's 53, whose datagrams the
// sinkhole logs (it answers none): NTP 123, SNMP 161, syslog 514, IKE 500
// and 4500, OpenVPN 1194, STUN 3478 and WireGuard 51820 (services and
// tunnels an image may reach out to); TFTP 69, which IoT malware loaders
// fetch their payloads with; chargen 19, SSDP 1900 and memcached 11211,
// the reflectors of amplification attacks a DDoS bot sends to;
// BitTorrent's DHT 6881, the peer-to-peer command channel of the Mozi and
// Hajime botnets; and 16464, 16465, 16470 and 16471, ZeroAccess's
// peer-to-peer network. Datagrams to other ports are refused by the
// kernel (ICMP port unreachable).
var UDPPorts = []int{19, 69, 123, 161, 500, 514, 1194, 1900, 3478, 4500, 6881, 11211, 16464, 16465, 16470, 16471,
	51820}

// MaxLogged bounds the connections and the questions a Log keeps; more
// are counted in Log.Dropped.
const MaxLogged = 100_000

// dataBytes is how much of what was sent a Conn shows.
const dataBytes = 16

// Conn is one connection the sinkhole accepted or one datagram it
// received.
type Conn struct {
	Time time.Time
	// Proto is "tcp" or "udp".
	Proto string
	// Src is the sender; Dst the address and port it sent to, before
	// the sinkhole took it.
	Src, Dst netip.AddrPort
	// Bytes is the size received (for TCP, before the sinkhole closed
	// the connection); Data the first bytes of it, hex-encoded, with "…"
	// when there was more.
	Bytes int
	Data  string
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
	// Dropped counts the connections and questions past MaxLogged.
	Dropped int
	// IPv6 says whether the namespace had IPv6.
	IPv6 bool
}

func (l *Log) query(q Query) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.Queries) >= MaxLogged {
		l.Dropped++
		return
	}
	l.Queries = append(l.Queries, q)
}

// conn logs c and reports whether it was kept.
func (l *Log) conn(c Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.Conns) >= MaxLogged {
		l.Dropped++
		return false
	}
	l.Conns = append(l.Conns, c)
	return true
}

// shorten hex-encodes the first dataBytes of b.
func shorten(b []byte) string {
	if len(b) <= dataBytes {
		return hex.EncodeToString(b)
	}
	return hex.EncodeToString(b[:dataBytes]) + "…"
}

// Options tunes Run. The zero value works.
type Options struct {
	// OnConn, when set, is called with every connection and datagram as
	// it is logged, from the servers' goroutines (concurrently), until
	// Run returns. It must not block: the servers wait for it.
	OnConn func(Conn)
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
func Run(ctx context.Context, dir string, opts Options, fn func(resolvConf string) error) (*Log, error) {
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
		done <- runInNamespace(ctx, log, opts, func() error { return fn(resolv) })
	}()
	return log, <-done
}

// runInNamespace moves the calling (locked) thread into a new network
// namespace, sets it up, serves, and calls fn.
func runInNamespace(ctx context.Context, log *Log, opts Options, fn func() error) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("sinkhole: new network namespace: %w", err)
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"route", "add", "local", "0.0.0.0/0", "dev", "lo"},
	} {
		if err := ip(ctx, args...); err != nil {
			return err
		}
	}
	// Without IPv6 in the kernel (or with it disabled) these fail: the
	// sinkhole is then IPv4 only.
	log.IPv6 = ip(ctx, "-6", "addr", "add", Address6+"/128", "dev", "lo") == nil &&
		ip(ctx, "-6", "route", "add", "local", "::/0", "dev", "lo") == nil
	srv, err := listen(log, opts.OnConn)
	if err != nil {
		return err
	}
	defer srv.close()
	return fn()
}

// ip runs iproute2's ip; children inherit the locked thread's namespace.
func ip(ctx context.Context, args ...string) error {
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("sinkhole: ip %v: %v: %s", args, err, out)
	}
	return nil
}
