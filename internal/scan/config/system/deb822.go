package system

import (
	"fmt"
	"strings"
)

// field is one field of a deb822 paragraph: its value (continuation lines
// joined by newlines) and the line its name is on.
type field struct {
	Value string
	Line  int
}

// paragraph is one stanza of a deb822 file (dpkg's status database, APT's
// .sources files). Field names are matched case-insensitively, as dpkg
// does, so they are stored lower-case.
type paragraph struct {
	Fields map[string]field
	Line   int // first line
}

// get returns the value of the named field ("" when absent).
func (p paragraph) get(name string) string { return p.Fields[strings.ToLower(name)].Value }

// parseDeb822 splits data into paragraphs. Blank lines separate them,
// lines starting with space or tab continue the previous field, lines
// starting with '#' are comments. A line that is none of these and has no
// colon, or a continuation with no field before it, is an error naming the
// line.
func parseDeb822(data []byte) ([]paragraph, error) {
	var out []paragraph
	var cur *paragraph
	last := ""
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			cur, last = nil, ""
		case line[0] == '#':
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil || last == "" {
				return out, fmt.Errorf("line %d: continuation line outside a field", n)
			}
			f := cur.Fields[last]
			f.Value += "\n" + strings.TrimSpace(line)
			cur.Fields[last] = f
		default:
			name, value, ok := strings.Cut(line, ":")
			name = strings.TrimSpace(name)
			if !ok || name == "" || strings.ContainsAny(name, " \t") {
				return out, fmt.Errorf("line %d: want \"Field: value\", got %q", n, clip(line))
			}
			if cur == nil {
				out = append(out, paragraph{Fields: map[string]field{}, Line: n})
				cur = &out[len(out)-1]
			}
			last = strings.ToLower(name)
			cur.Fields[last] = field{Value: strings.TrimSpace(value), Line: n}
		}
	}
	return out, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
