package telemetry

import (
	"net/netip"
	"strconv"
	"strings"
)

// sockaddr is an Internet socket address strace printed.
type sockaddr struct {
	ip   netip.Addr
	port int
}

// parseSockaddr reads an AF_INET or AF_INET6 address such as
// {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}
// or {sa_family=AF_INET6, sin6_port=htons(80), ..., inet_pton(AF_INET6,
// "::1", &sin6_addr), ...}; ok is false for other families.
func parseSockaddr(s string) (sockaddr, bool) {
	switch {
	case strings.Contains(s, "sa_family=AF_INET6"):
		return inetAddr(s, "sin6_port=htons(", "inet_pton(AF_INET6,")
	case strings.Contains(s, "sa_family=AF_INET"):
		return inetAddr(s, "sin_port=htons(", "inet_addr(")
	}
	return sockaddr{}, false
}

func inetAddr(s, portKey, addrKey string) (sockaddr, bool) {
	port, ok := portAfter(s, portKey)
	if !ok {
		return sockaddr{}, false
	}
	i := strings.Index(s, addrKey)
	if i < 0 {
		return sockaddr{}, false
	}
	text, ok := unquote(strings.TrimLeft(s[i+len(addrKey):], " "))
	if !ok {
		return sockaddr{}, false
	}
	ip, err := netip.ParseAddr(text)
	if err != nil {
		return sockaddr{}, false
	}
	return sockaddr{ip: ip.Unmap(), port: port}, true
}

// portAfter reads the number after key up to the closing parenthesis.
func portAfter(s, key string) (int, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return 0, false
	}
	num, _, ok := strings.Cut(s[i+len(key):], ")")
	if !ok {
		return 0, false
	}
	p, err := strconv.Atoi(num)
	if err != nil || p < 0 || p > 65535 {
		return 0, false
	}
	return p, true
}

// endpoint formats an address as IP:PORT ([IPv6]:PORT).
func (a sockaddr) endpoint() string {
	return netip.AddrPortFrom(a.ip, uint16(a.port)).String()
}
