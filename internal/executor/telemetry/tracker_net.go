package telemetry

import (
	"net/netip"
	"strings"
)

// dnsPort is the port whose traffic is decoded as DNS queries.
const dnsPort = 53

// newFD records the descriptors socket, socketpair, pipe and accept
// return.
func (t *tracker) newFD(c *call) {
	if !c.hasRet || c.ret < 0 || len(c.args) == 0 {
		return
	}
	p := t.proc(c.pid)
	switch c.name {
	case "socket":
		setFD(p, int(c.ret), socketInfo(c.args))
	case "socketpair":
		if len(c.args) >= 4 {
			setPair(p, c.args[3], fdInfo{desc: "socket:unix"})
		}
	case "pipe", "pipe2":
		setPair(p, c.args[0], fdInfo{desc: "pipe"})
	case "accept", "accept4":
		lfd, _ := fdArg(c.args[0])
		info := fdInfo{proto: p.fds[lfd].proto}
		if info.proto == "" {
			info.proto = "tcp"
		}
		info.desc = "socket:" + info.proto
		if len(c.args) > 1 {
			if a, ok := parseSockaddr(c.args[1]); ok {
				info.desc += ":" + a.endpoint()
			}
		}
		setFD(p, int(c.ret), info)
	}
}

// socketInfo describes a new socket from socket()'s arguments.
func socketInfo(args []string) fdInfo {
	if len(args) < 2 {
		return fdInfo{desc: "socket"}
	}
	switch args[0] {
	case "AF_INET", "AF_INET6":
		proto := "tcp"
		if strings.HasPrefix(args[1], "SOCK_DGRAM") {
			proto = "udp"
		}
		return fdInfo{desc: "socket:" + proto, proto: proto}
	case "AF_UNIX", "AF_LOCAL":
		return fdInfo{desc: "socket:unix"}
	}
	return fdInfo{desc: "socket:" + strings.ToLower(strings.TrimPrefix(args[0], "AF_"))}
}

// setPair records the two descriptors of a "[3, 4]" argument.
func setPair(p *proc, arg string, info fdInfo) {
	arg = strings.Trim(strings.TrimSpace(arg), "[]")
	for _, s := range strings.Split(arg, ",") {
		if fd, ok := fdArg(s); ok {
			setFD(p, fd, info)
		}
	}
}

// connect reports an attempt to reach an Internet address, whether or not
// it succeeded, and labels the socket with it.
func (t *tracker) connect(c *call) {
	if len(c.args) < 2 {
		return
	}
	fd, ok := fdArg(c.args[0])
	a, isInet := parseSockaddr(c.args[1])
	if !ok || !isInet {
		return
	}
	p := t.proc(c.pid)
	info := p.fds[fd]
	if info.proto == "" {
		info.proto = "tcp"
	}
	info.desc = "socket:" + info.proto + ":" + a.endpoint()
	info.dns = a.port == dnsPort
	setFD(p, fd, info)
	r := newRecord(typeConnect, c.time, c.pid, p)
	r.Proto, r.DstIP, r.DstPort = info.proto, a.ip.String(), a.port
	t.emit(&r)
}

// send decodes DNS questions sent to port 53: by sendto or sendmsg with
// that destination, or by any send or write on a socket connected to it.
func (t *tracker) send(c *call) {
	if len(c.args) < 2 {
		return
	}
	fd, ok := fdArg(c.args[0])
	if !ok {
		return
	}
	p := t.proc(c.pid)
	info := p.fds[fd]
	toDNS := info.dns
	switch c.name {
	case "write":
		if !toDNS {
			return
		}
		t.dns(c, p, info, c.args[1])
	case "sendto":
		if len(c.args) >= 5 {
			if a, ok := parseSockaddr(c.args[4]); ok {
				toDNS = a.port == dnsPort
				t.sentTo(c, p, info, a)
			}
		}
		if toDNS {
			t.dns(c, p, info, c.args[1])
		}
	default: // sendmsg, sendmmsg
		if a, ok := parseSockaddr(c.args[1]); ok {
			t.sentTo(c, p, info, a)
		}
		if !toDNS && !strings.Contains(c.args[1], "htons(53)") {
			return
		}
		for _, buf := range iovBases(c.args[1]) {
			t.dns(c, p, info, buf)
		}
	}
}

// sentTo tells the tracker's onSend who sent a datagram to a, when the
// call succeeded on a socket that is not TCP's.
func (t *tracker) sentTo(c *call, p *proc, info fdInfo, a sockaddr) {
	if t.onSend == nil || !c.hasRet || c.ret < 0 || info.proto == "tcp" {
		return
	}
	t.onSend(sender{at: c.time, pid: c.pid, ppid: p.ppid, comm: p.comm}, netip.AddrPortFrom(a.ip, uint16(a.port)))
}

// iovBases returns the iov_base="..." strings of a msghdr argument.
func iovBases(s string) []string {
	const key = "iov_base="
	var out []string
	for {
		i := strings.Index(s, key)
		if i < 0 {
			return out
		}
		s = s[i+len(key):]
		if strings.HasPrefix(s, `"`) {
			end := skipString(s, 0)
			out = append(out, s[:end+1])
			s = s[end+1:]
		}
	}
}

// dns reports the question of the DNS message in the quoted buffer buf.
func (t *tracker) dns(c *call, p *proc, info fdInfo, buf string) {
	msg, ok := unquote(buf)
	if !ok {
		return
	}
	name, qtype, ok := dnsQuestion([]byte(msg))
	if !ok && info.proto == "tcp" && len(msg) > 2 {
		name, qtype, ok = dnsQuestion([]byte(msg[2:])) // TCP's length prefix
	}
	if !ok {
		return
	}
	r := newRecord(typeDNS, c.time, c.pid, p)
	r.Query, r.QType = name, qtype
	t.emit(&r)
}

// bindListen remembers the port a socket is bound to and reports a
// successful listen on it.
func (t *tracker) bindListen(c *call) {
	if !c.hasRet || c.ret != 0 || len(c.args) == 0 {
		return
	}
	fd, ok := fdArg(c.args[0])
	if !ok {
		return
	}
	p := t.proc(c.pid)
	info, known := p.fds[fd]
	if c.name == "bind" {
		if len(c.args) < 2 {
			return
		}
		if a, ok := parseSockaddr(c.args[1]); ok {
			info.port = a.port
			setFD(p, fd, info)
		}
		return
	}
	if !known || info.proto == "" {
		return // not an Internet socket
	}
	r := newRecord(typeListen, c.time, c.pid, p)
	r.Proto, r.Port = info.proto, info.port
	t.emit(&r)
}

// fdTable follows dup, dup2, dup3, close, chdir and fchdir.
func (t *tracker) fdTable(c *call) {
	if !c.hasRet || c.ret < 0 || len(c.args) == 0 {
		return
	}
	p := t.proc(c.pid)
	switch c.name {
	case "chdir":
		if dir, ok := unquote(c.args[0]); ok {
			p.cwd = resolve(p.cwd, dir)
		}
		return
	}
	fd, ok := fdArg(c.args[0])
	if !ok {
		return
	}
	switch c.name {
	case "close":
		delete(p.fds, fd)
	case "fchdir":
		p.cwd = ""
		if d := p.fds[fd].desc; strings.HasPrefix(d, "/") {
			p.cwd = d
		}
	default: // dup, dup2, dup3
		if info, ok := p.fds[fd]; ok {
			setFD(p, int(c.ret), info)
		} else {
			delete(p.fds, int(c.ret))
		}
	}
}
