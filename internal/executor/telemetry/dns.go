package telemetry

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// dnsTypes names the query types by number.
var dnsTypes = map[uint16]string{1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
	28: "AAAA", 33: "SRV", 35: "NAPTR", 43: "DS", 48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 99: "SPF", 255: "ANY"}

// maxDNSName is the longest domain name DNS allows in presentation form.
const maxDNSName = 253

// dnsQuestion decodes the first question of a DNS query message: its name
// (lower-case, without the final dot) and type ("A", "TYPE99"). ok is false
// when msg is not a query with a well-formed question.
func dnsQuestion(msg []byte) (name, qtype string, ok bool) {
	if len(msg) < 12+5 {
		return "", "", false
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x8000 != 0 || (flags>>11)&0xf != 0 || binary.BigEndian.Uint16(msg[4:]) == 0 {
		return "", "", false // a response, not a standard query, or no question
	}
	var b strings.Builder
	i := 12
	for {
		if i >= len(msg) {
			return "", "", false
		}
		n := int(msg[i])
		i++
		if n == 0 {
			break
		}
		if n > 63 || i+n > len(msg) || b.Len()+n+1 > maxDNSName+1 {
			return "", "", false // compression pointers do not belong in a question
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		for _, c := range msg[i : i+n] {
			if c <= ' ' || c >= 0x7f || c == '.' {
				return "", "", false
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		i += n
	}
	if i+4 > len(msg) || b.Len() == 0 {
		return "", "", false
	}
	t := binary.BigEndian.Uint16(msg[i:])
	qtype, known := dnsTypes[t]
	if !known {
		qtype = "TYPE" + strconv.Itoa(int(t))
	}
	return b.String(), qtype, true
}
