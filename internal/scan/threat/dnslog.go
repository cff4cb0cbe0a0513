package threat

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// parseDNSLine parses one line of the plain DNS query log:
//
//	TIME CLIENT_IP QUERY QTYPE [ANSWER...]
//
// TIME is RFC 3339, fields are separated by blanks, and any fields after
// QTYPE are the answers.
func parseDNSLine(line []byte, e *Event) error {
	f := bytes.Fields(line)
	if len(f) < 4 {
		return errors.New("want TIME CLIENT_IP QUERY QTYPE [ANSWER...]")
	}
	t, err := time.Parse(time.RFC3339Nano, string(f[0]))
	if err != nil {
		return fmt.Errorf("bad time %q (want RFC 3339)", f[0])
	}
	ip, err := netip.ParseAddr(string(f[1]))
	if err != nil {
		return fmt.Errorf("bad client IP %q", f[1])
	}
	q := string(f[2])
	if !validName(q) {
		return fmt.Errorf("bad query name %q", q)
	}
	e.Time, e.Type, e.SrcIP = t, EventDNS, ip.Unmap()
	e.Query, e.QType = q, strings.ToUpper(string(f[3]))
	for _, a := range f[4:] {
		e.Answers = append(e.Answers, string(a))
	}
	return nil
}

// validName reports whether s looks like a DNS name: printable ASCII
// without blanks, at most 253 bytes (plus a trailing dot).
func validName(s string) bool {
	if s == "" || len(s) > 254 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
