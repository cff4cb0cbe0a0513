package system

import (
	"fmt"
	"strings"
)

// aptOption is one assignment of an apt.conf(5) file, its name spelled
// out in full ("APT::Get::AllowUnauthenticated") whether written with
// "::" or with nested braces.
type aptOption struct {
	Name  string
	Value string
	Line  int
}

type aptToken struct {
	kind byte // 'w' word, 's' quoted string, '{', '}', ';'
	text string
	line int
}

// parseAptConf parses apt.conf(5) syntax: "Name value;" statements,
// "Scope { ... };" blocks, quoted list items, // and /* */ comments and
// '#' comment lines. #include and #clear directives are skipped. Errors
// name the line: unterminated strings and comments, unbalanced braces.
func parseAptConf(data []byte) ([]aptOption, error) {
	toks, err := tokenizeAptConf(string(data))
	if err != nil {
		return nil, err
	}
	var out []aptOption
	var scope []string
	var stmt []aptToken
	emit := func() {
		if len(stmt) > 0 {
			out = append(out, aptStatement(scope, stmt))
		}
		stmt = nil
	}
	for _, t := range toks {
		switch t.kind {
		case '{':
			name := ""
			if len(stmt) > 0 {
				name = stmt[0].text
			}
			scope, stmt = append(scope, name), nil
		case ';':
			emit()
		case '}':
			emit()
			if len(scope) == 0 {
				return nil, fmt.Errorf("line %d: '}' without a matching '{'", t.line)
			}
			scope = scope[:len(scope)-1]
		default:
			stmt = append(stmt, t)
		}
	}
	if len(scope) > 0 {
		return nil, fmt.Errorf("%q block is not closed", strings.Join(scope, "::"))
	}
	emit()
	return out, nil
}

// aptStatement turns the tokens of one statement into an option: a lone
// quoted string inside a block is a list item of the block.
func aptStatement(scope []string, stmt []aptToken) aptOption {
	var parts []string
	for _, s := range scope {
		if s != "" {
			parts = append(parts, s)
		}
	}
	prefix := strings.Join(parts, "::")
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "::" + name
	}
	o := aptOption{Line: stmt[0].line}
	switch {
	case len(stmt) == 1 && stmt[0].kind == 's':
		o.Name, o.Value = prefix, stmt[0].text
	case len(stmt) == 1:
		o.Name = join(stmt[0].text)
	default:
		o.Name, o.Value = join(stmt[0].text), stmt[1].text
	}
	return o
}

func tokenizeAptConf(s string) ([]aptToken, error) {
	var out []aptToken
	line := 1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "//") || c == '#':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out, nil
			}
			i += j
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("line %d: comment is not closed", line)
			}
			line += strings.Count(s[i:i+2+j], "\n")
			i += j + 4
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("line %d: string is not closed", line)
			}
			out = append(out, aptToken{kind: 's', text: s[i+1 : i+1+j], line: line})
			line += strings.Count(s[i+1:i+1+j], "\n")
			i += j + 2
		case c == '{' || c == '}' || c == ';':
			out = append(out, aptToken{kind: c, line: line})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n{};\"", rune(s[j])) {
				j++
			}
			out = append(out, aptToken{kind: 'w', text: s[i:j], line: line})
			i = j
		}
	}
	return out, nil
}

// aptTrue reports whether APT reads value as true (its FindB accepts
// these spellings).
func aptTrue(value string) bool {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "1", "yes", "true", "with", "on", "enable":
		return true
	}
	return false
}

// sourceEntry is one repository of a sources.list or .sources file with
// its options, keys lower-cased.
type sourceEntry struct {
	Options map[string]string
	URI     string
	Line    int
	// Lines holds the line of each option where it differs from Line
	// (deb822 fields).
	Lines map[string]int
}

// line returns the line of option key.
func (e sourceEntry) line(key string) int {
	if n, ok := e.Lines[key]; ok {
		return n
	}
	return e.Line
}

// parseSourcesList parses the one-line format of sources.list(5):
// "deb [ key=value ... ] URI suite [component...]". Lines that are not
// deb or deb-src entries are errors naming the line, as APT rejects them.
func parseSourcesList(data []byte) ([]sourceEntry, error) {
	var out []sourceEntry
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] != "deb" && f[0] != "deb-src" {
			return nil, fmt.Errorf("line %d: want deb or deb-src, got %q", i+1, clip(f[0]))
		}
		e := sourceEntry{Options: map[string]string{}, Line: i + 1}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0]))
		if strings.HasPrefix(rest, "[") {
			opts, after, ok := strings.Cut(rest[1:], "]")
			if !ok {
				return nil, fmt.Errorf("line %d: options '[' without ']'", i+1)
			}
			for _, kv := range strings.Fields(opts) {
				k, v, _ := strings.Cut(kv, "=")
				e.Options[strings.ToLower(strings.TrimRight(k, "+-"))] = v
			}
			rest = after
		}
		if u := strings.Fields(rest); len(u) > 0 {
			e.URI = u[0]
		}
		out = append(out, e)
	}
	return out, nil
}

// parseSources parses the deb822 format of sources.list(5) (*.sources
// files), skipping stanzas with "Enabled: no".
func parseSources(data []byte) ([]sourceEntry, error) {
	paras, err := parseDeb822(data)
	if err != nil {
		return nil, err
	}
	var out []sourceEntry
	for _, p := range paras {
		if strings.EqualFold(p.get("Enabled"), "no") {
			continue
		}
		e := sourceEntry{Options: map[string]string{}, Lines: map[string]int{}, URI: p.get("URIs"), Line: p.Line}
		for k, f := range p.Fields {
			e.Options[k], e.Lines[k] = f.Value, f.Line
		}
		out = append(out, e)
	}
	return out, nil
}
