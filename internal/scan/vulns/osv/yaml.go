package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// yamlToJSON converts one YAML document into JSON for the OSV decoder.
//
// A YAML decoder resolves an unquoted 1.10 to the float 1.1 and 010 to 8,
// which would corrupt versions. So outside the free-form objects
// (database_specific, ecosystem_specific) every scalar becomes a JSON string
// of its source text: the OSV schema has no other scalar type. Inside them,
// numbers and booleans keep their YAML types. null stays null everywhere.
// Anchors and aliases are expanded within a budget of nodes, so that a
// small document cannot expand into a huge one; merge keys are refused.
func yamlToJSON(data []byte) ([]byte, error) {
	if tooDeep(data) {
		return nil, errors.New("document nested too deeply")
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(err)
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return nil, errors.New("more than one document")
		}
		body = doc.Body
	}
	if body == nil {
		return nil, errors.New("empty document")
	}
	c := converter{anchors: map[string]ast.Node{}, budget: maxYAMLNodes(len(data))}
	if err := c.node(body, false, 0); err != nil {
		return nil, err
	}
	return c.out.Bytes(), nil
}

// maxYAMLNodes bounds how many nodes a document may expand to through
// aliases: generous for real records, fatal for alias bombs.
func maxYAMLNodes(size int) int { return 64*size + 1<<16 }

// maxYAMLDepth bounds nesting; OSV records are a handful of levels deep.
const maxYAMLDepth = 64

// tooDeep bounds the nesting of a document before it is parsed: the YAML
// parser takes time quadratic in the depth (100,000 open brackets take
// half a minute), so a small hostile record could stall an import. It
// over-estimates, cheaply: flow nesting counts every bracket, even in
// quoted text; block nesting counts the columns of indentation plus the
// sequence dashes that open a line ("- - - x"). A real OSV record stays far
// below both limits.
func tooDeep(data []byte) bool {
	const maxFlow, maxBlock = 4 * maxYAMLDepth, 8 * maxYAMLDepth
	flow, block := 0, 0
	lineStart := true
	for i, b := range data {
		switch b {
		case '\n':
			lineStart, block = true, 0
			continue
		case '[', '{':
			flow++
		case ']', '}':
			flow = max(0, flow-1)
		}
		if lineStart {
			switch {
			case b == ' ':
				block++
			case (b == '-' || b == '?') && (i+1 == len(data) || data[i+1] == ' ' || data[i+1] == '\n'):
				block += 2
			default:
				lineStart = false
			}
		}
		if flow > maxFlow || block > maxBlock {
			return true
		}
	}
	return false
}

// yamlError keeps a YAML syntax error to one line with its position.
func yamlError(err error) error {
	var syn *yaml.SyntaxError
	if errors.As(err, &syn) && syn.Token != nil && syn.Token.Position != nil {
		return fmt.Errorf("line %d, column %d: %s", syn.Token.Position.Line, syn.Token.Position.Column, syn.Message)
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		if t := ye.GetToken(); t != nil && t.Position != nil {
			return fmt.Errorf("line %d, column %d: %s", t.Position.Line, t.Position.Column, ye.GetMessage())
		}
		return errors.New(ye.GetMessage())
	}
	return err
}

type converter struct {
	out     bytes.Buffer
	anchors map[string]ast.Node
	budget  int
}

// node writes n as JSON. typed says whether scalars keep their YAML types
// (inside the free-form objects) or become strings.
func (c *converter) node(n ast.Node, typed bool, depth int) error {
	if c.budget--; c.budget < 0 {
		return errors.New("document expands to too many nodes")
	}
	if depth > maxYAMLDepth {
		return errors.New("document nested too deeply")
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		return c.mapping(n.Values, typed, depth)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{n}, typed, depth)
	case *ast.SequenceNode:
		return c.sequence(n, typed, depth)
	case *ast.AnchorNode:
		if n.Name != nil {
			c.anchors[n.Name.GetToken().Value] = n.Value
		}
		return c.node(n.Value, typed, depth+1)
	case *ast.AliasNode:
		name := ""
		if n.Value != nil {
			name = n.Value.GetToken().Value
		}
		target, ok := c.anchors[name]
		if !ok {
			return fmt.Errorf("%s: unknown alias %q", position(n), name)
		}
		return c.node(target, typed, depth+1)
	case *ast.TagNode:
		if n.Start != nil && n.Start.Value == "!!str" {
			typed = false
		}
		return c.node(n.Value, typed, depth+1)
	case nil:
		c.out.WriteString("null")
		return nil
	}
	return c.scalar(n, typed)
}

func (c *converter) mapping(values []*ast.MappingValueNode, typed bool, depth int) error {
	c.out.WriteByte('{')
	for i, mv := range values {
		if i > 0 {
			c.out.WriteByte(',')
		}
		if mv.Key == nil {
			return fmt.Errorf("%s: mapping entry without a key", position(mv))
		}
		if mv.Key.IsMergeKey() {
			return fmt.Errorf("%s: merge keys (<<) are not supported", position(mv.Key))
		}
		key, err := c.key(mv.Key)
		if err != nil {
			return err
		}
		writeString(&c.out, key)
		c.out.WriteByte(':')
		free := typed || key == "database_specific" || key == "ecosystem_specific"
		if err := c.node(mv.Value, free, depth+1); err != nil {
			return err
		}
	}
	c.out.WriteByte('}')
	return nil
}

// key returns a mapping key's text; keys must be scalars.
func (c *converter) key(k ast.MapKeyNode) (string, error) {
	var n ast.Node = k
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	for {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
			continue
		case *ast.TagNode:
			n = t.Value
			continue
		case *ast.AliasNode:
			name := ""
			if t.Value != nil {
				name = t.Value.GetToken().Value
			}
			target, ok := c.anchors[name]
			if !ok {
				return "", fmt.Errorf("%s: unknown alias %q", position(t), name)
			}
			n = target
			continue
		}
		break
	}
	s, ok := scalarText(n)
	if !ok {
		return "", fmt.Errorf("%s: mapping key is not a scalar", position(n))
	}
	return s, nil
}

func (c *converter) sequence(n *ast.SequenceNode, typed bool, depth int) error {
	c.out.WriteByte('[')
	for i, v := range n.Values {
		if i > 0 {
			c.out.WriteByte(',')
		}
		if err := c.node(v, typed, depth+1); err != nil {
			return err
		}
	}
	c.out.WriteByte(']')
	return nil
}

func (c *converter) scalar(n ast.Node, typed bool) error {
	if _, ok := n.(*ast.NullNode); ok {
		c.out.WriteString("null")
		return nil
	}
	if typed {
		switch v := n.(type) {
		case *ast.BoolNode:
			c.out.WriteString(strconv.FormatBool(v.Value))
			return nil
		case *ast.IntegerNode, *ast.FloatNode:
			if b, ok := jsonNumber(v.(ast.ScalarNode).GetValue()); ok {
				c.out.Write(b)
				return nil
			}
		}
	}
	s, ok := scalarText(n)
	if !ok {
		return fmt.Errorf("%s: unsupported YAML node %s", position(n), n.Type())
	}
	writeString(&c.out, s)
	return nil
}

// scalarText returns a scalar's value as written: the unquoted string for
// strings and block literals, the source text for everything else.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.NullNode:
		if t := v.GetToken(); t != nil {
			return t.Value, true
		}
	}
	return "", false
}

// jsonNumber encodes a decoded YAML number, refusing what JSON cannot hold.
func jsonNumber(v any) ([]byte, bool) {
	if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, false
	}
	b, err := json.Marshal(v)
	return b, err == nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always encodes
	buf.Write(b)
}

func position(n ast.Node) string {
	if n == nil {
		return "?"
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return fmt.Sprintf("line %d, column %d", t.Position.Line, t.Position.Column)
	}
	return "?"
}
