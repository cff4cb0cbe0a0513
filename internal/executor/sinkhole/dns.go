package sinkhole

import (
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// serveDNS answers every question over UDP.
func (s *servers) serveDNS(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, ok := answer(buf[:n], "udp", s.log); ok {
			pc.WriteTo(resp, addr)
		}
	}
}

// serveDNSTCP answers questions over TCP (two-byte length prefix).
func (s *servers) serveDNSTCP(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s.handle(c, func(c net.Conn) {
			var hdr [2]byte
			if _, err := readFull(c, hdr[:]); err != nil {
				return
			}
			msg := make([]byte, int(hdr[0])<<8|int(hdr[1]))
			if _, err := readFull(c, msg); err != nil {
				return
			}
			if resp, ok := answer(msg, "tcp", s.log); ok {
				c.Write(append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...))
			}
		})
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
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
// questions, Address6 for AAAA questions when the namespace has IPv6, no
// records otherwise. ok is false for what is not a query.
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
	log.query(Query{Time: time.Now(), Name: trimDot(q.Name.String()), Type: typeName(q.Type), Proto: proto})
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
	rh := dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: dnsmessage.ClassINET, TTL: 60}
	switch {
	case q.Type == dnsmessage.TypeA:
		err = b.AResource(rh, dnsmessage.AResource{A: netip.MustParseAddr(Address).As4()})
	case q.Type == dnsmessage.TypeAAAA && log.IPv6:
		err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(Address6).As16()})
	}
	if err != nil {
		return nil, false
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
