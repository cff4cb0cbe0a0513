package gate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ParseIgnoreFile parses the contents of an ignore file; name is used in
// error messages and in the entries' Source fields. Errors wrap
// pipeline.ErrInvalid and read "NAME:LINE: FIELD: problem". Empty data, or
// only comments, gives a file with no entries.
func ParseIgnoreFile(name string, data []byte) (*IgnoreFile, error) {
	// Repeated keys are reported by the walk below, with the field's path.
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, yamlError(name, err)
	}
	p := &ignoreParser{
		file: &IgnoreFile{Name: name},
		seen: map[string]string{},
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil || doc.Body.Type() == ast.NullType {
			continue
		}
		if body != nil {
			return nil, p.errorf(doc.Body, "want one YAML document, found a second one")
		}
		body = doc.Body
	}
	if body == nil {
		return p.file, nil
	}
	if err := p.top(body); err != nil {
		return nil, err
	}
	return p.file, nil
}

// yamlError turns a YAML syntax error into "NAME:LINE: message".
func yamlError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return invalidf("%s:%d: %s", name, ye.GetToken().Position.Line, ye.GetMessage())
	}
	return invalidf("%s: %v", name, err)
}

// ignoreParser walks the YAML tree of one ignore file.
type ignoreParser struct {
	file *IgnoreFile
	// seen maps an entry's matchers to the Source of the first entry that
	// had them, to reject duplicates.
	seen map[string]string
}

// errorf formats an error located at n's line.
func (p *ignoreParser) errorf(n ast.Node, format string, args ...any) error {
	return invalidf("%s:%d: %s", p.file.Name, lineOf(n), fmt.Sprintf(format, args...))
}

func (p *ignoreParser) top(n ast.Node) error {
	pairs, ok := mappingPairs(n)
	if !ok {
		return p.errorf(n, `want a mapping with an "ignore" list, got %s`, kindOf(n))
	}
	return p.fields("", pairs, func(key string, kv *ast.MappingValueNode) error {
		switch key {
		case "version":
			return p.version(kv.Value)
		case "ignore":
			return p.entries(kv.Value)
		}
		return p.errorf(kv.Key, "unknown field %q (want version or ignore)", key)
	})
}

// fields calls set for each key of a mapping, rejecting repeated keys. where
// is the mapping's field path ("" at the top level, "ignore[2]" for an entry).
func (p *ignoreParser) fields(where string, pairs []*ast.MappingValueNode, set func(string, *ast.MappingValueNode) error) error {
	first := map[string]int{}
	for _, kv := range pairs {
		key := keyText(kv.Key)
		if line, dup := first[key]; dup {
			return p.errorf(kv.Key, "%s: repeated field (first at line %d)", join(where, key), line)
		}
		first[key] = lineOf(kv.Key)
		if err := set(key, kv); err != nil {
			return err
		}
	}
	return nil
}

func (p *ignoreParser) version(n ast.Node) error {
	v, ok := scalar(n)
	if !ok {
		return p.errorf(n, "version: want 1, got %s", kindOf(n))
	}
	if v != "1" {
		return p.errorf(n, "version: unsupported version %q (want 1)", v)
	}
	return nil
}

func (p *ignoreParser) entries(n ast.Node) error {
	if n == nil || n.Type() == ast.NullType {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return p.errorf(n, "ignore: want a list of entries, got %s", kindOf(n))
	}
	for i, item := range seq.Values {
		e, err := p.entry(fmt.Sprintf("ignore[%d]", i), item)
		if err != nil {
			return err
		}
		p.file.Entries = append(p.file.Entries, e)
	}
	return nil
}

// entry parses and checks one ignore entry.
func (p *ignoreParser) entry(where string, n ast.Node) (Entry, error) {
	pairs, ok := mappingPairs(n)
	if !ok {
		return Entry{}, p.errorf(n, "%s: want a mapping with rule, package, path, fingerprint, reason, expires; got %s", where, kindOf(n))
	}
	e := Entry{Source: fmt.Sprintf("%s:%d", p.file.Name, lineOf(n))}
	err := p.fields(where, pairs, func(key string, kv *ast.MappingValueNode) error {
		return p.entryField(&e, join(where, key), key, kv)
	})
	if err != nil {
		return Entry{}, err
	}
	if e.Rule == "" && e.Package == "" && e.Path == "" && e.Fingerprint == "" {
		return Entry{}, p.errorf(n, "%s: no matcher (give rule, package, path or fingerprint)", where)
	}
	if e.Reason == "" {
		return Entry{}, p.errorf(n, "%s.reason: missing (say why the findings may be ignored)", where)
	}
	key := e.Rule + "\x00" + e.Package + "\x00" + e.Path + "\x00" + e.Fingerprint
	if first, dup := p.seen[key]; dup {
		return Entry{}, p.errorf(n, "%s: duplicate of the entry at %s (same rule, package, path and fingerprint)", where, first)
	}
	p.seen[key] = e.Source
	return e, nil
}

// entryField sets one field of e from kv; field is its path for messages.
func (p *ignoreParser) entryField(e *Entry, field, key string, kv *ast.MappingValueNode) error {
	switch key {
	case "rule", "package", "path", "fingerprint", "reason", "expires":
	default:
		return p.errorf(kv.Key, "%s: unknown field (want rule, package, path, fingerprint, reason or expires)", field)
	}
	text, ok := scalar(kv.Value)
	if kv.Value != nil && kv.Value.Type() == ast.NullType {
		text, ok = "", true // "rule:" with no value reads as empty
	}
	if !ok {
		return p.errorf(kv.Value, "%s: want a string, got %s", field, kindOf(kv.Value))
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return p.errorf(kv.Key, "%s: empty (give a value or drop the field)", field)
	}
	var problem string
	switch key {
	case "rule":
		e.Rule = text
	case "package":
		e.Package, problem = checkPackage(text)
	case "path":
		e.Path, problem = checkGlob(text)
	case "fingerprint":
		e.Fingerprint, problem = checkFingerprint(text)
	case "reason":
		e.Reason = text
	case "expires":
		e.Expires, problem = parseExpiry(text)
	}
	if problem != "" {
		return p.errorf(kv.Value, "%s: %s", field, problem)
	}
	return nil
}

// checkPackage validates a package matcher, NAME or NAME@VERSION; it
// returns the matcher or a problem.
func checkPackage(pkg string) (string, string) {
	// A scoped npm name starts with "@": the version separator is the
	// last "@" after the first character.
	if i := strings.LastIndex(pkg, "@"); i > 0 && i == len(pkg)-1 {
		return "", fmt.Sprintf("%q: empty version after \"@\" (give NAME or NAME@VERSION)", pkg)
	}
	if strings.ContainsAny(pkg, " \t") {
		return "", fmt.Sprintf("%q: a package name has no spaces (give NAME or NAME@VERSION)", pkg)
	}
	return pkg, ""
}

// checkGlob validates a path glob; it returns the glob or a problem.
func checkGlob(glob string) (string, string) {
	switch {
	case strings.HasPrefix(glob, "/"), strings.HasPrefix(glob, "./"):
		return "", fmt.Sprintf("%q: paths are relative to the scanned root (drop the leading %q)", glob, glob[:strings.Index(glob, "/")+1])
	case !doublestar.ValidatePattern(glob):
		return "", fmt.Sprintf("bad glob %q (check its brackets, braces and backslashes)", glob)
	}
	return glob, ""
}

// checkFingerprint validates a fingerprint as pipeline.Fingerprint prints
// it; it returns the fingerprint in lower case or a problem.
func checkFingerprint(fp string) (string, string) {
	want := len(pipeline.Fingerprint())
	fp = strings.ToLower(fp)
	if len(fp) != want || strings.Trim(fp, "0123456789abcdef") != "" {
		return "", fmt.Sprintf("want %d hex digits as printed in reports, got %q", want, fp)
	}
	return fp, ""
}

// parseExpiry parses YYYY-MM-DD (the last second of that day, UTC) or an
// RFC 3339 time; it returns the time or a problem.
func parseExpiry(s string) (time.Time, string) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Second), ""
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, ""
	}
	return time.Time{}, fmt.Sprintf("bad date %q (want YYYY-MM-DD or RFC 3339)", s)
}

// mappingPairs returns the key/value pairs of a mapping node; a mapping
// with a single pair may come as a bare MappingValueNode.
func mappingPairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// scalar returns a scalar's text as written, so a fingerprint of digits or a
// date keeps its exact spelling whatever YAML type it resembles.
func scalar(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	case *ast.TagNode:
		if v.Start != nil && v.Start.Value == "!!str" {
			return scalar(v.Value)
		}
	}
	return "", false
}

// keyText returns a mapping key as written.
func keyText(n ast.MapKeyNode) string {
	if n == nil {
		return ""
	}
	if s, ok := scalar(n); ok {
		return s
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// kindOf names a node's YAML type for messages.
func kindOf(n ast.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "null"
	case ast.AnchorType, ast.AliasType, ast.MergeKeyType:
		return "an anchor or alias (not supported)"
	case ast.TagType:
		return "a tagged value (tags are not supported)"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// lineOf returns n's line, or 0 when the parser gave it no position.
func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// join appends key to a field path.
func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}
