package telemetry

import (
	"strconv"
	"strings"
	"time"
)

// call is one system call as strace printed it, after an unfinished line
// and its resumption were joined.
type call struct {
	pid  int
	time time.Time
	name string
	// args are the top-level arguments, as strace printed them.
	args []string
	// ret is the return value; valid only when hasRet is set ("= ?" has
	// none).
	ret    int64
	hasRet bool
	// errno is the error name of a failed call ("ENOENT"), else "".
	errno string
	// comment is a trailing /* ... */ after the return value, such as the
	// PID translation of a clone's return value.
	comment string
}

// lineKind says what kind of line parseLine read.
type lineKind int

const (
	lineOther      lineKind = iota // exit/signal notes and blank lines
	lineComplete                   // name(args) = ret
	lineUnfinished                 // name(args <unfinished ...>
	lineResumed                    // <... name resumed>args) = ret
)

const (
	unfinishedMark = " <unfinished ...>"
	resumedPrefix  = "<... "
	resumedMark    = " resumed>"
)

// rawLine is a line of strace's output split into its parts.
type rawLine struct {
	kind lineKind
	pid  int
	time time.Time
	name string
	// body is what follows "name(" (complete, unfinished) or
	// "resumed>" (resumed), without the unfinished mark.
	body string
}

// parseLine splits one line of `strace -f -ttt` output. ok is false when the
// line does not have strace's shape.
func parseLine(line string) (rawLine, bool) {
	line = strings.TrimRight(line, "\r\n")
	pidStr, rest, ok := strings.Cut(line, " ")
	if !ok {
		return rawLine{}, false
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return rawLine{}, false
	}
	rest = strings.TrimLeft(rest, " ")
	tsStr, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return rawLine{}, false
	}
	ts, ok := parseTime(tsStr)
	if !ok {
		return rawLine{}, false
	}
	r := rawLine{pid: pid, time: ts}
	switch {
	case strings.HasPrefix(rest, "+++") || strings.HasPrefix(rest, "---"):
		return r, true
	case strings.HasPrefix(rest, resumedPrefix):
		name, body, ok := strings.Cut(rest[len(resumedPrefix):], resumedMark)
		if !ok || name == "" {
			return rawLine{}, false
		}
		r.kind, r.name, r.body = lineResumed, name, body
		return r, true
	}
	name, body, ok := strings.Cut(rest, "(")
	if !ok || !validName(name) {
		return rawLine{}, false
	}
	r.name = name
	if b, cut := strings.CutSuffix(body, unfinishedMark); cut {
		r.kind, r.body = lineUnfinished, b
		return r, true
	}
	r.kind, r.body = lineComplete, body
	return r, true
}

// validName reports whether s looks like a system call name.
func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// maxUnix is the first second of year 10000, which RFC 3339 cannot write.
const maxUnix = 253402300800

// parseTime reads -ttt (seconds.micros since the epoch) timestamps.
func parseTime(s string) (time.Time, bool) {
	secStr, fracStr, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil || sec < 0 || sec >= maxUnix || len(fracStr) > 9 {
		return time.Time{}, false
	}
	var nsec int64
	if fracStr != "" {
		f, err := strconv.ParseInt(fracStr, 10, 64)
		if err != nil || f < 0 {
			return time.Time{}, false
		}
		for i := len(fracStr); i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	return time.Unix(sec, nsec).UTC(), true
}

// parseCall turns the text after "name(" of a complete call into a call.
// ok is false when the return value cannot be found.
func parseCall(pid int, ts time.Time, name, body string) (call, bool) {
	end, retAt := retIndex(body)
	if end < 0 {
		return call{}, false
	}
	c := call{pid: pid, time: ts, name: name, args: splitArgs(body[:end])}
	ret := strings.TrimSpace(body[retAt:])
	if cm := strings.Index(ret, "/*"); cm >= 0 {
		c.comment = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(ret[cm+2:]), "*/"))
		ret = strings.TrimSpace(ret[:cm])
	}
	val, more, _ := strings.Cut(ret, " ")
	if val == "?" {
		return c, true
	}
	n, err := strconv.ParseInt(val, 0, 64)
	if err != nil {
		return call{}, false
	}
	c.ret, c.hasRet = n, true
	if n < 0 {
		c.errno, _, _ = strings.Cut(strings.TrimSpace(more), " ")
	}
	return c, true
}

// retIndex finds the closing parenthesis of the arguments and the start of
// the return value in ") = 0", which strace pads with spaces to a column
// (") <padding>= 0"); it returns -1 when there is none.
func retIndex(body string) (end, ret int) {
	for i := strings.LastIndex(body, " = "); i >= 0; i = strings.LastIndex(body[:i], " = ") {
		j := i
		for j > 0 && body[j-1] == ' ' {
			j--
		}
		if j > 0 && body[j-1] == ')' {
			return j - 1, i + len(" = ")
		}
	}
	return -1, -1
}

// splitArgs splits an argument list at its top-level commas, keeping
// strings, brackets and comments whole.
func splitArgs(s string) []string {
	var (
		args  []string
		depth int
		start int
	)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			i = skipString(s, i)
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				if end := strings.Index(s[i+2:], "*/"); end >= 0 {
					i += end + 3
				} else {
					i = len(s)
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if tail := strings.TrimSpace(s[start:]); tail != "" || len(args) > 0 {
		args = append(args, tail)
	}
	return args
}

// skipString returns the index of the closing quote of the string that
// opens at s[i], or len(s)-1 when it is not closed.
func skipString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(s) - 1
}

// unquote decodes a C string as strace prints it ("\x2f\x62", "a\n",
// "\177") and reports whether s was one. A string strace truncated
// ("..."...) is decoded up to its closing quote.
func unquote(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '"' {
		return "", false
	}
	end := skipString(s, 0)
	if end <= 0 || s[end] != '"' {
		return "", false
	}
	in := s[1:end]
	if !strings.Contains(in, `\`) {
		return in, true
	}
	out := make([]byte, 0, len(in)/2)
	for i := 0; i < len(in); i++ {
		if in[i] != '\\' || i+1 >= len(in) {
			out = append(out, in[i])
			continue
		}
		i++
		b, n := unescape(in[i:])
		out = append(out, b)
		i += n - 1
	}
	return string(out), true
}

// unescape decodes the escape after a backslash, returning the byte and
// how many characters it used.
func unescape(s string) (byte, int) {
	switch s[0] {
	case 'x':
		if len(s) >= 3 {
			if v, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
				return byte(v), 3
			}
		}
		return 'x', 1
	case 'n':
		return '\n', 1
	case 't':
		return '\t', 1
	case 'r':
		return '\r', 1
	case 'v':
		return '\v', 1
	case 'f':
		return '\f', 1
	}
	if s[0] >= '0' && s[0] <= '7' {
		n := 1
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(s[:n], 8, 16)
		return byte(v), n
	}
	return s[0], 1
}

// unquoteArray decodes an array of strings (["a", "b"]); the "..." strace
// prints for a long array ends it.
func unquoteArray(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	var out []string
	for _, a := range splitArgs(s[1 : len(s)-1]) {
		v, ok := unquote(a)
		if !ok {
			break
		}
		out = append(out, v)
	}
	return out, true
}
