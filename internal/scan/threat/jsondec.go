package threat

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of values the decoder skips, so that a hostile
// line cannot exhaust the stack.
const maxDepth = 64

// maxIntern bounds the strings a decoder keeps for reuse.
const maxIntern = 4096

var errSyntax = errors.New("malformed JSON")

// decoder turns one JSON object into an Event without reflection. It is
// several times faster than encoding/json for this fixed shape and reuses
// repeated short strings (names, protocols, ops). Not safe for concurrent use.
type decoder struct {
	b       []byte
	i       int
	scratch []byte
	intern  map[string]string
}

func newDecoder() *decoder { return &decoder{intern: make(map[string]string)} }

// decode parses line into e. It reports whether the time and type fields
// were present.
func (d *decoder) decode(line []byte, e *Event) error {
	d.b, d.i = line, 0
	d.ws()
	if !d.eat('{') {
		return fmt.Errorf("%w: want an object", errSyntax)
	}
	var hasTime, hasType bool
	for first := true; ; first = false {
		d.ws()
		if d.eat('}') {
			break
		}
		if !first && (!d.eat(',') || d.wsThen() != '"') {
			return d.errAt("want , or }")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if !d.eat(':') {
			return d.errAt("want :")
		}
		d.ws()
		if d.null() {
			continue
		}
		switch string(key) {
		case "time":
			hasTime = true
			err = d.timeField(&e.Time)
		case "type":
			var s string
			s, err = d.internStr()
			hasType = s != ""
			e.Type = EventType(s)
		default:
			err = d.field(string(key), e)
		}
		if err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
	}
	if d.ws(); d.i != len(d.b) {
		return d.errAt("trailing data after object")
	}
	switch {
	case !hasTime:
		return errors.New("missing \"time\"")
	case !hasType:
		return errors.New("missing \"type\"")
	}
	return nil
}

// field decodes the value of key into e, skipping unknown keys.
func (d *decoder) field(key string, e *Event) (err error) {
	switch key {
	case "pid":
		e.PID, err = d.int()
	case "ppid":
		e.PPID, err = d.int()
	case "uid":
		e.UID, err = d.int()
	case "dst_port":
		e.DstPort, err = d.int()
	case "src_port":
		e.SrcPort, err = d.int()
	case "port":
		e.Port, err = d.int()
	case "comm":
		e.Comm, err = d.internStr()
	case "exe":
		e.Exe, err = d.internStr()
	case "cwd":
		e.Cwd, err = d.internStr()
	case "proto":
		e.Proto, err = d.internStr()
	case "qtype":
		e.QType, err = d.internStr()
	case "op":
		e.Op, err = d.internStr()
	case "query":
		e.Query, err = d.string()
	case "path":
		e.Path, err = d.string()
	case "argv":
		e.Argv, err = d.strings()
	case "answers":
		e.Answers, err = d.strings()
	case "fds":
		err = d.fds(&e.FDs)
	case "dst_ip":
		e.DstIP, err = d.addr()
	case "src_ip", "client":
		e.SrcIP, err = d.addr()
	default:
		err = d.skip(0)
	}
	return err
}

func (d *decoder) errAt(msg string) error {
	return fmt.Errorf("%w at column %d: %s", errSyntax, d.i+1, msg)
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

// wsThen skips white space and returns the next byte without consuming it.
func (d *decoder) wsThen() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) null() bool {
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// str returns the next JSON string's contents. The result aliases the line
// or the decoder's scratch buffer and is valid until the next call.
func (d *decoder) str() ([]byte, error) {
	if !d.eat('"') {
		return nil, d.errAt("want a string")
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], nil
		case c == '\\':
			return d.unescape(start)
		case c < 0x20:
			return nil, d.errAt("control character in string")
		}
		d.i++
	}
	return nil, d.errAt("unterminated string")
}

// unescape finishes a string that holds escapes, from start (just after the
// opening quote), into the scratch buffer.
func (d *decoder) unescape(start int) ([]byte, error) {
	out := append(d.scratch[:0], d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			d.scratch = out
			return out, nil
		case c < 0x20:
			return nil, d.errAt("control character in string")
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			break
		}
		esc := d.b[d.i+1]
		d.i += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, d.errAt("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					d.i += 2
					r2, ok = d.hex4()
				}
				if r = utf16.DecodeRune(r, r2); !ok {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, d.errAt("bad escape")
		}
	}
	return nil, d.errAt("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(v), true
}

func (d *decoder) string() (string, error) {
	b, err := d.str()
	return string(b), err
}

// internStr returns the string, reusing an earlier copy of equal content.
func (d *decoder) internStr() (string, error) {
	b, err := d.str()
	if err != nil {
		return "", err
	}
	if s, ok := d.intern[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if len(d.intern) < maxIntern && len(s) <= 64 {
		d.intern[s] = s
	}
	return s, nil
}

func (d *decoder) strings() ([]string, error) {
	if !d.eat('[') {
		return nil, d.errAt("want an array of strings")
	}
	var out []string
	for first := true; ; first = false {
		d.ws()
		if d.eat(']') {
			return out, nil
		}
		if !first {
			if !d.eat(',') {
				return nil, d.errAt("want , or ]")
			}
			d.ws()
		}
		s, err := d.string()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
}

// fds decodes {"0":"...","1":"..."} keeping descriptors 0 to 2.
func (d *decoder) fds(dst *[3]string) error {
	if !d.eat('{') {
		return d.errAt("want an object")
	}
	for first := true; ; first = false {
		d.ws()
		if d.eat('}') {
			return nil
		}
		if !first {
			if !d.eat(',') {
				return d.errAt("want , or }")
			}
			d.ws()
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		fd := -1
		if len(k) == 1 && k[0] >= '0' && k[0] <= '2' {
			fd = int(k[0] - '0')
		}
		if d.ws(); !d.eat(':') {
			return d.errAt("want :")
		}
		d.ws()
		if fd < 0 || d.null() {
			if err := d.skip(1); err != nil {
				return err
			}
			continue
		}
		if dst[fd], err = d.internStr(); err != nil {
			return err
		}
	}
}

func (d *decoder) int() (int, error) {
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	n, digits := 0, 0
	for ; d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9'; d.i++ {
		if digits++; digits > 18 {
			return 0, d.errAt("number too large")
		}
		n = n*10 + int(d.b[d.i]-'0')
	}
	if digits == 0 {
		return 0, d.errAt("want an integer")
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return 0, d.errAt("want an integer")
	}
	if d.b[start] == '-' {
		n = -n
	}
	return n, nil
}

func (d *decoder) addr() (netip.Addr, error) {
	b, err := d.str()
	if err != nil || len(b) == 0 {
		return netip.Addr{}, err
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("bad IP address %q", b)
	}
	return a.Unmap(), nil
}

func (d *decoder) timeField(t *time.Time) error {
	b, err := d.str()
	if err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("bad time %q (want RFC 3339)", b)
	}
	*t = v
	return nil
}

// skip consumes one value of any type.
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.errAt("nested too deep")
	}
	if d.i >= len(d.b) {
		return d.errAt("want a value")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, err := d.str()
		return err
	case c == '{' || c == '[':
		return d.skipComposite(depth, c)
	case c == 't' && len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "true":
		d.i += 4
	case c == 'f' && len(d.b)-d.i >= 5 && string(d.b[d.i:d.i+5]) == "false":
		d.i += 5
	case c == 'n' && d.null():
	case c == '-' || (c >= '0' && c <= '9'):
		d.i++
		for d.i < len(d.b) && isNumByte(d.b[d.i]) {
			d.i++
		}
	default:
		return d.errAt("want a value")
	}
	return nil
}

func (d *decoder) skipComposite(depth int, open byte) error {
	d.i++
	end := byte(']')
	if open == '{' {
		end = '}'
	}
	for first := true; ; first = false {
		d.ws()
		if d.eat(end) {
			return nil
		}
		if !first {
			if !d.eat(',') {
				return d.errAt("want , or " + string(end))
			}
			d.ws()
		}
		if open == '{' {
			if _, err := d.str(); err != nil {
				return err
			}
			if d.ws(); !d.eat(':') {
				return d.errAt("want :")
			}
			d.ws()
		}
		if err := d.skip(depth + 1); err != nil {
			return err
		}
	}
}

func isNumByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
