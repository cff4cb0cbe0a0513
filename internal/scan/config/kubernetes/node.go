package kubernetes

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// doc is one YAML document of a manifest file.
type doc struct {
	path string
	// offset is added to the parser's line numbers: documents are parsed
	// one at a time.
	offset  int
	anchors map[string]ast.Node
}

// node is a YAML value with where it came from: its field path for
// messages ("spec.containers[0].image") and the line of its key (or of the
// value itself for list items). A nil *node is an absent field; its
// methods return zero values.
type node struct {
	v     ast.Node
	doc   *doc
	field string
	line  int
}

// maxHops bounds alias, anchor, tag and merge-key indirections per lookup.
const maxHops = 64

// resolve strips anchors, tags and aliases from v.
func (d *doc) resolve(v ast.Node) ast.Node {
	for range maxHops {
		switch n := v.(type) {
		case *ast.AnchorNode:
			v = n.Value
		case *ast.TagNode:
			v = n.Value
		case *ast.AliasNode:
			if n.Value == nil {
				return nil
			}
			v = d.anchors[n.Value.GetToken().Value]
		default:
			return v
		}
	}
	return nil
}

// lineOf returns the file line of v, or 0.
func (d *doc) lineOf(v ast.Node) int {
	if v == nil {
		return 0
	}
	if tk := v.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line + d.offset
	}
	return 0
}

// pairs returns the key/value pairs of a mapping value, or false.
func (d *doc) pairs(v ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := d.resolve(v).(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// get returns the field key of a mapping, looking into merge keys (<<)
// after the mapping's own keys; nil when n is not a mapping or has no
// such key.
func (n *node) get(key string) *node {
	if n == nil {
		return nil
	}
	budget := maxHops
	kv := n.doc.lookup(n.v, key, &budget)
	if kv == nil {
		return nil
	}
	return &node{v: kv.Value, doc: n.doc, field: join(n.field, key), line: n.doc.lineOf(kv.Key)}
}

func (d *doc) lookup(v ast.Node, key string, budget *int) *ast.MappingValueNode {
	pairs, ok := d.pairs(v)
	if !ok {
		return nil
	}
	var merges []ast.Node
	for _, kv := range pairs {
		if kv.Key == nil {
			continue
		}
		if kv.Key.IsMergeKey() {
			merges = append(merges, kv.Value)
			continue
		}
		if keyText(kv.Key) == key {
			return kv
		}
	}
	for _, m := range merges {
		sources := []ast.Node{m}
		if seq, ok := d.resolve(m).(*ast.SequenceNode); ok {
			sources = seq.Values
		}
		for _, src := range sources {
			if *budget--; *budget < 0 {
				return nil
			}
			if kv := d.lookup(src, key, budget); kv != nil {
				return kv
			}
		}
	}
	return nil
}

// keyText returns a mapping key as written.
func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// items returns the entries of a list; nil for an absent or null field.
func (n *node) items() ([]*node, error) {
	if n.isNull() {
		return nil, nil
	}
	seq, ok := n.doc.resolve(n.v).(*ast.SequenceNode)
	if !ok {
		return nil, n.errorf("want a list, got %s", n.kind())
	}
	out := make([]*node, 0, len(seq.Values))
	for i, v := range seq.Values {
		out = append(out, &node{v: v, doc: n.doc, field: fmt.Sprintf("%s[%d]", n.field, i), line: n.doc.lineOf(v)})
	}
	return out, nil
}

// isNull reports whether the field is absent or null (key: or key: ~).
func (n *node) isNull() bool {
	if n == nil {
		return true
	}
	v := n.doc.resolve(n.v)
	return v == nil || v.Type() == ast.NullType
}

// isMap reports whether the field holds a mapping.
func (n *node) isMap() bool {
	if n == nil {
		return false
	}
	_, ok := n.doc.pairs(n.v)
	return ok
}

// str returns a scalar's text as written; false when absent or not a
// scalar.
func (n *node) str() (string, bool) {
	if n == nil {
		return "", false
	}
	switch v := n.doc.resolve(n.v).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// boolean returns a field's truth value. Absent and null fields are
// (false, false, nil); a value that is not a boolean is an error naming
// the field, as the API server would reject it.
func (n *node) boolean() (value, set bool, err error) {
	if n.isNull() {
		return false, false, nil
	}
	if b, ok := n.doc.resolve(n.v).(*ast.BoolNode); ok {
		return b.Value, true, nil
	}
	s, _ := n.str()
	switch strings.ToLower(s) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, n.errorf("want true or false, got %s", n.kind())
}

// integer returns a field's integer value, like boolean.
func (n *node) integer() (value int64, set bool, err error) {
	if n.isNull() {
		return 0, false, nil
	}
	s, _ := n.str()
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return 0, false, n.errorf("want an integer, got %s", n.kind())
	}
	return v, true, nil
}

// text returns a field that must be a string (or another scalar, taken
// as written); absent and null fields are "".
func (n *node) text() (string, error) {
	if n.isNull() {
		return "", nil
	}
	s, ok := n.str()
	if !ok {
		return "", n.errorf("want a string, got %s", n.kind())
	}
	return s, nil
}

// kind names a node's YAML type for error messages, without its value.
func (n *node) kind() string {
	v := n.doc.resolve(n.v)
	if v == nil {
		return "nothing"
	}
	switch v.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		return "a string"
	}
	return "a " + strings.ToLower(v.Type().String())
}

// errorf formats an error located at the field: "PATH:LINE: FIELD: ...".
func (n *node) errorf(format string, args ...any) error {
	return &fileError{path: n.doc.path, line: n.line, msg: n.field + ": " + fmt.Sprintf(format, args...)}
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}
