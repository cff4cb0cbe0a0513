package spec

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxDepth bounds the nesting of free-form values (an action's config).
const maxDepth = 64

// tree is one parsed YAML document and its anchors, so that walks can
// follow aliases.
type tree struct {
	anchors map[string][]*ast.AnchorNode
	// budget bounds how many nodes free-form values may expand to
	// through aliases, so a small file cannot expand into a huge value.
	budget int
}

// parseYAML parses data as one YAML document. It returns a nil body for an
// empty document, and an error "NAME:LINE: message" for a syntax error or
// more than one document.
func parseYAML(name string, data []byte) (ast.Node, *tree, error) {
	// Repeated keys are reported by the walks, with the field's path.
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, nil, yamlError(name, err)
	}
	t := &tree{anchors: map[string][]*ast.AnchorNode{}, budget: 64*len(data) + 1<<16}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil || doc.Body.Type() == ast.NullType {
			continue
		}
		if body != nil {
			return nil, nil, invalidf("%s:%d: want one YAML document, found a second one", name, lineOf(doc.Body))
		}
		body = doc.Body
	}
	if body != nil {
		for _, n := range ast.Filter(ast.AnchorType, body) {
			a := n.(*ast.AnchorNode)
			if a.Name != nil {
				name := a.Name.GetToken().Value
				t.anchors[name] = append(t.anchors[name], a)
			}
		}
	}
	return body, t, nil
}

// yamlError turns a YAML syntax error into "NAME:LINE: message".
func yamlError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg := strings.ReplaceAll(ye.GetMessage(), "\n", " ")
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return invalidf("%s:%d: %s", name, tk.Position.Line, msg)
		}
		return invalidf("%s: %s", name, msg)
	}
	return invalidf("%s: %s", name, strings.ReplaceAll(err.Error(), "\n", " "))
}

// deref follows anchors and aliases to the node they stand for. An alias
// to an unknown anchor comes back unchanged (kindOf names it).
func (t *tree) deref(n ast.Node) ast.Node {
	for range 100 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target := t.anchorFor(v)
			if target == nil {
				return v
			}
			n = target.Value
		default:
			return n
		}
	}
	return n
}

// anchorFor returns the anchor an alias refers to: the last one of its
// name defined before it.
func (t *tree) anchorFor(alias *ast.AliasNode) *ast.AnchorNode {
	if alias.Value == nil {
		return nil
	}
	at := alias.GetToken().Position
	var found *ast.AnchorNode
	for _, a := range t.anchors[alias.Value.GetToken().Value] {
		if before(a.GetToken().Position, at) {
			found = a
		}
	}
	return found
}

func before(a, b *token.Position) bool {
	if a == nil || b == nil {
		return false
	}
	return a.Offset < b.Offset
}

// isNull reports whether n (dereferenced) is absent or null.
func isNull(n ast.Node) bool {
	return n == nil || n.Type() == ast.NullType
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

// scalar returns a scalar's text as written, so a version like 1.10 keeps
// its spelling whatever YAML type it resembles. Null is not a scalar here.
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
		if isStrTag(v) {
			return scalar(v.Value)
		}
	}
	return "", false
}

func isStrTag(n *ast.TagNode) bool {
	return n.Start != nil && n.Start.Value == "!!str" && n.Value != nil
}

// keyText returns a mapping key as written.
func keyText(n ast.MapKeyNode) string {
	if n == nil {
		return ""
	}
	var node ast.Node = n
	if mk, ok := n.(*ast.MappingKeyNode); ok && mk.Value != nil {
		node = mk.Value
	}
	if s, ok := scalar(node); ok {
		return s
	}
	if tk := node.GetToken(); tk != nil {
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
	case ast.StringType, ast.LiteralType:
		return "a string"
	case ast.IntegerType:
		return "an integer"
	case ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	case ast.BoolType:
		return "a boolean"
	case ast.AliasType:
		return "an alias to an unknown anchor"
	case ast.MergeKeyType:
		return "a merge key (not supported)"
	case ast.TagType:
		return "a tagged value (tags other than !!str are not supported)"
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

// errTooBig and errTooDeep end the conversion of a free-form value.
var (
	errTooBig  = errors.New("value expands to too many nodes through aliases")
	errTooDeep = errors.New("value nested too deeply")
)

// valueError is a problem inside a free-form value, at a node.
type valueError struct {
	node ast.Node
	err  error
}

func (e *valueError) Error() string { return e.err.Error() }

// value converts a free-form YAML node into Go values keeping YAML types:
// string, int (uint64 beyond int's range), float64, bool, nil,
// []any and map[string]any.
func (t *tree) value(n ast.Node, depth int) (any, error) {
	if t.budget--; t.budget < 0 {
		return nil, &valueError{n, errTooBig}
	}
	if depth > maxDepth {
		return nil, &valueError{n, errTooDeep}
	}
	n = t.deref(n)
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil, nil
	case *ast.MappingNode, *ast.MappingValueNode:
		pairs, _ := mappingPairs(v)
		return t.mapValue(pairs, depth)
	case *ast.SequenceNode:
		out := make([]any, 0, len(v.Values))
		for _, item := range v.Values {
			x, err := t.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	}
	return scalarValue(n)
}

// mapValue converts the pairs of a free-form mapping; keys are strings as
// written and may not repeat.
func (t *tree) mapValue(pairs []*ast.MappingValueNode, depth int) (map[string]any, error) {
	out := make(map[string]any, len(pairs))
	for _, kv := range pairs {
		if kv.Key == nil || kv.Key.IsMergeKey() {
			return nil, &valueError{kv, errors.New("merge keys (<<) are not supported")}
		}
		key := keyText(kv.Key)
		if _, dup := out[key]; dup {
			return nil, &valueError{kv.Key, errors.New("repeated key " + strconv.Quote(key))}
		}
		x, err := t.value(kv.Value, depth+1)
		if err != nil {
			return nil, err
		}
		out[key] = x
	}
	return out, nil
}

// scalarValue converts one scalar node to its Go value.
func scalarValue(n ast.Node) (any, error) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, nil
	case *ast.LiteralNode:
		s, _ := scalar(v)
		return s, nil
	case *ast.IntegerNode:
		switch i := v.Value.(type) {
		case int64:
			return int(i), nil
		case uint64:
			if i <= math.MaxInt64 {
				return int(i), nil
			}
			return i, nil
		}
	case *ast.FloatNode:
		return v.Value, nil
	case *ast.InfinityNode:
		return v.Value, nil
	case *ast.NanNode:
		return math.NaN(), nil
	case *ast.BoolNode:
		return v.Value, nil
	case *ast.TagNode:
		if s, ok := scalar(v); ok {
			return s, nil
		}
	}
	return nil, &valueError{n, errors.New("unsupported value: " + kindOf(n))}
}
