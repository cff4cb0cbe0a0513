package sinkhole

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// servers are the sinkhole's sockets. Every goroutine they start is
// counted in wg, and open connections are closed by close, so that when
// close returns the Log is complete and no longer written.
type servers struct {
	log    *Log
	onConn func(Conn)
	pcs    []net.PacketConn
	ls     []net.Listener
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
	done  bool
}

// listen opens the DNS server and the TCP and UDP listeners in the current
// thread's namespace (IPv6 too when log.IPv6) and serves them.
func listen(log *Log, onConn func(Conn)) (*servers, error) {
	s := &servers{log: log, onConn: onConn, conns: map[net.Conn]bool{}}
	if err := s.listenAll(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *servers) listenAll() error {
	pc, err := net.ListenPacket("udp4", "0.0.0.0:53")
	if err != nil {
		return fmt.Errorf("sinkhole: dns: %w", err)
	}
	s.serve(pc, nil, func() { s.serveDNS(pc) })
	l, err := net.Listen("tcp4", "0.0.0.0:53")
	if err != nil {
		return fmt.Errorf("sinkhole: dns over tcp: %w", err)
	}
	s.serve(nil, l, func() { s.serveDNSTCP(l) })
	nets := []string{"4"}
	if s.log.IPv6 {
		nets = append(nets, "6")
	}
	for _, v := range nets {
		for _, port := range Ports {
			l, err := net.Listen("tcp"+v, anyAddr(v, port))
			if err != nil {
				return fmt.Errorf("sinkhole: tcp%s port %d: %w", v, port, err)
			}
			s.serve(nil, l, func() { s.serveTCP(l) })
		}
		for _, port := range UDPPorts {
			pc, err := net.ListenPacket("udp"+v, anyAddr(v, port))
			if err != nil {
				return fmt.Errorf("sinkhole: udp%s port %d: %w", v, port, err)
			}
			read, err := dstReader(v, pc)
			if err != nil {
				pc.Close()
				return fmt.Errorf("sinkhole: udp%s port %d: %w", v, port, err)
			}
			s.serve(pc, nil, func() { s.serveUDP(read) })
		}
	}
	return nil
}

// anyAddr is the wildcard address of IP version v with port.
func anyAddr(v string, port int) string {
	if v == "6" {
		return fmt.Sprintf("[::]:%d", port)
	}
	return fmt.Sprintf("0.0.0.0:%d", port)
}

// serve keeps the socket for close and runs fn in a counted goroutine.
func (s *servers) serve(pc net.PacketConn, l net.Listener, fn func()) {
	if pc != nil {
		s.pcs = append(s.pcs, pc)
	}
	if l != nil {
		s.ls = append(s.ls, l)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); fn() }()
}

func (s *servers) close() {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	for _, pc := range s.pcs {
		pc.Close()
	}
	for _, l := range s.ls {
		l.Close()
	}
	s.wg.Wait()
}

// logConn logs c and passes it on.
func (s *servers) logConn(c Conn) {
	if s.log.conn(c) && s.onConn != nil {
		s.onConn(c)
	}
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

// serveTCP accepts connections, reads what arrives for a moment, logs it
// and closes them.
func (s *servers) serveTCP(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s.handle(c, func(c net.Conn) {
			buf := make([]byte, 4096)
			n, _ := c.Read(buf)
			s.logConn(Conn{Time: time.Now(), Proto: "tcp", Src: addrPort(c.RemoteAddr()), Dst: addrPort(c.LocalAddr()),
				Bytes: n, Data: shorten(buf[:n])})
		})
	}
}

// readDst reads one datagram and returns its size, sender and the address
// it was sent to.
type readDst func(b []byte) (n int, src, dst netip.AddrPort, err error)

// dstReader asks the kernel for the destination address of each datagram
// of pc (IP_PKTINFO, IPV6_PKTINFO): every address is local, so that is
// the address the program meant.
func dstReader(v string, pc net.PacketConn) (readDst, error) {
	port := addrPort(pc.LocalAddr()).Port()
	if v == "6" {
		p := ipv6.NewPacketConn(pc)
		if err := p.SetControlMessage(ipv6.FlagDst, true); err != nil {
			return nil, err
		}
		return func(b []byte) (int, netip.AddrPort, netip.AddrPort, error) {
			n, cm, src, err := p.ReadFrom(b)
			var dst net.IP
			if cm != nil {
				dst = cm.Dst
			}
			return n, addrPort(src), ipPort(dst, port), err
		}, nil
	}
	p := ipv4.NewPacketConn(pc)
	if err := p.SetControlMessage(ipv4.FlagDst, true); err != nil {
		return nil, err
	}
	return func(b []byte) (int, netip.AddrPort, netip.AddrPort, error) {
		n, cm, src, err := p.ReadFrom(b)
		var dst net.IP
		if cm != nil {
			dst = cm.Dst
		}
		return n, addrPort(src), ipPort(dst, port), err
	}, nil
}

// ipPort joins an address (invalid when ip is nil) and a port.
func ipPort(ip net.IP, port uint16) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), port)
}

// serveUDP logs every datagram; it answers none.
func (s *servers) serveUDP(read readDst) {
	buf := make([]byte, 64<<10)
	for {
		n, src, dst, err := read(buf)
		if err != nil {
			return
		}
		s.logConn(Conn{Time: time.Now(), Proto: "udp", Src: src, Dst: dst, Bytes: n, Data: shorten(buf[:n])})
	}
}

// addrPort converts a TCP or UDP address.
func addrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
