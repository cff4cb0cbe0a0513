package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/goccy/go-yaml/ast"

	"github.com/secpipe/secpipe/internal/pipeline"
)

var (
	// pipelineNameRE is what a pipeline's name may hold.
	pipelineNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// nameRE is what stage, action and artifact names may hold (as in
	// CodePipeline).
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
	// identRE is what namespaces and variable names may hold; they appear
	// in #{Namespace.Var} references.
	identRE = regexp.MustCompile(`^[A-Za-z0-9_@-]+$`)
)

// decoder turns the YAML tree of a secpipe.yml into a Pipeline, recording
// problems and the line of every field it reads.
type decoder struct {
	name  string
	t     *tree
	probs *problems
	pos   positions
}

// errorf records a problem with field at n's line.
func (d *decoder) errorf(n ast.Node, field, format string, args ...any) {
	d.probs.add(lineOf(n), field, format, args...)
}

// fields walks the pairs of the mapping n, which sits at field path where:
// it rejects repeated and unknown keys (suggesting a near miss among
// known), records each field's line, and calls set for the known ones.
// It reports whether n was a mapping.
func (d *decoder) fields(where string, n ast.Node, known []string, set func(key, field string, v ast.Node)) bool {
	n = d.t.deref(n)
	pairs, ok := mappingPairs(n)
	if !ok {
		d.errorf(n, where, "want a mapping with %s; got %s", strings.Join(known, ", "), kindOf(n))
		return false
	}
	first := map[string]int{}
	for _, kv := range pairs {
		key := keyText(kv.Key)
		field := join(where, key)
		if kv.Key != nil && kv.Key.IsMergeKey() {
			d.errorf(kv.Key, where, "merge keys (<<) are not supported")
			continue
		}
		if line, dup := first[key]; dup {
			d.errorf(kv.Key, field, "repeated field (first at line %d)", line)
			continue
		}
		first[key] = lineOf(kv.Key)
		if !slices.Contains(known, key) {
			d.errorf(kv.Key, field, "unknown field %s", orWant(suggest(key, known), known))
			continue
		}
		d.pos[field] = lineOf(kv.Key)
		set(key, field, kv.Value)
	}
	return true
}

// orWant returns a suggestion when there is one, else the list of what
// is wanted: "(did you mean "x"?)" or "(want a, b, c)".
func orWant(suggestion string, known []string) string {
	if suggestion != "" {
		return strings.TrimSpace(suggestion)
	}
	return "(want " + strings.Join(known, ", ") + ")"
}

// str reads a scalar as a string; null reads as "".
func (d *decoder) str(n ast.Node, field string) (string, bool) {
	n = d.t.deref(n)
	if isNull(n) {
		return "", true
	}
	s, ok := scalar(n)
	if !ok {
		d.errorf(n, field, "want a string, got %s", kindOf(n))
	}
	return s, ok
}

// required reads a non-empty string.
func (d *decoder) required(n ast.Node, field string) string {
	s, ok := d.str(n, field)
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(n, field, "empty (give a value)")
	}
	return s
}

// ident reads a required name that must match re.
func (d *decoder) ident(n ast.Node, field string, re *regexp.Regexp, what string) string {
	s := d.required(n, field)
	if s != "" && !re.MatchString(s) {
		d.errorf(n, field, "%q: %s", s, what)
	}
	return s
}

// list reads a sequence, recording the line of each item as field[i];
// null reads as an empty list.
func (d *decoder) list(n ast.Node, field string) ([]ast.Node, bool) {
	n = d.t.deref(n)
	if isNull(n) {
		return nil, true
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(n, field, "want a list, got %s", kindOf(n))
		return nil, false
	}
	for i, item := range seq.Values {
		if l := lineOf(item); l > 0 {
			d.pos[index(field, i)] = l
		}
	}
	return seq.Values, true
}

// strList reads a list of strings.
func (d *decoder) strList(n ast.Node, field string) []string {
	items, _ := d.list(n, field)
	var out []string
	for i, item := range items {
		if s, ok := d.str(item, index(field, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// integer reads an integer written as one (not a quoted string).
func (d *decoder) integer(n ast.Node, field string) (int, bool) {
	n = d.t.deref(n)
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		d.errorf(n, field, "want an integer, got %s", kindOf(n))
		return 0, false
	}
	switch v := in.Value.(type) {
	case int64:
		if int64(int(v)) == v {
			return int(v), true
		}
	case uint64:
		if v <= uint64(int(^uint(0)>>1)) {
			return int(v), true
		}
	}
	d.errorf(n, field, "integer out of range")
	return 0, false
}

var topFields = []string{"version", "name", "execution_mode", "triggers", "variables", "stages"}

// pipeline decodes the top-level mapping.
func (d *decoder) pipeline(n ast.Node) *pipeline.Pipeline {
	p := &pipeline.Pipeline{Version: 1, ExecutionMode: pipeline.ModeSuperseded}
	seen := map[string]bool{}
	ok := d.fields("", n, topFields, func(key, field string, v ast.Node) {
		seen[key] = true
		switch key {
		case "version":
			d.version(v)
		case "name":
			p.Name = d.ident(v, field, pipelineNameRE, "a pipeline name holds only letters, digits, '_', '.' and '-'")
		case "execution_mode":
			p.ExecutionMode = d.mode(v, field)
		case "triggers":
			p.Triggers = d.triggers(v, field)
		case "variables":
			p.Variables = d.variables(v, field)
		case "stages":
			items, _ := d.list(v, field)
			for i, item := range items {
				p.Stages = append(p.Stages, d.stage(item, index(field, i)))
			}
		}
	})
	if !ok {
		return p
	}
	for _, key := range []string{"name", "stages"} {
		if !seen[key] {
			d.errorf(n, key, "missing (a pipeline needs a name and stages)")
		}
	}
	return p
}

func (d *decoder) version(n ast.Node) {
	n = d.t.deref(n)
	if v, ok := scalar(n); !ok || v != "1" {
		d.errorf(n, "version", "unsupported version %s (want 1)", describe(n))
	}
}

// describe quotes a scalar's text, or names a node's kind.
func describe(n ast.Node) string {
	if s, ok := scalar(n); ok {
		return strconv.Quote(s)
	}
	return kindOf(n)
}

func (d *decoder) mode(n ast.Node, field string) pipeline.ExecutionMode {
	s, ok := d.str(n, field)
	if !ok {
		return pipeline.ModeSuperseded
	}
	switch m := pipeline.ExecutionMode(strings.ToLower(s)); m {
	case pipeline.ModeSuperseded, pipeline.ModeQueued, pipeline.ModeParallel:
		return m
	case "":
		return pipeline.ModeSuperseded
	}
	d.errorf(n, field, "unknown execution mode %q (want superseded, queued or parallel)", s)
	return pipeline.ModeSuperseded
}

// triggers decodes the list of triggers.
func (d *decoder) triggers(n ast.Node, field string) []pipeline.Trigger {
	items, _ := d.list(n, field)
	var out []pipeline.Trigger
	for i, item := range items {
		where := index(field, i)
		var tr pipeline.Trigger
		keys := 0
		d.fields(where, item, []string{"git"}, func(_, field string, v ast.Node) {
			tr.Git = d.gitTrigger(v, field)
		})
		if pairs, ok := mappingPairs(d.t.deref(item)); ok {
			keys = len(pairs)
		}
		if tr.Git == nil && keys == 0 {
			d.errorf(item, where, "want a git trigger ({git: {branches, tags, paths}})")
		}
		if tr.Git != nil {
			out = append(out, tr)
		}
	}
	return out
}

func (d *decoder) gitTrigger(n ast.Node, field string) *pipeline.GitTrigger {
	g := &pipeline.GitTrigger{}
	if isNull(d.t.deref(n)) {
		return g
	}
	d.fields(field, n, []string{"branches", "tags", "paths"}, func(key, field string, v ast.Node) {
		globs := d.strList(v, field)
		for i, glob := range globs {
			if !doublestar.ValidatePattern(glob) {
				d.probs.add(d.pos.line(index(field, i)), index(field, i),
					"bad glob %q (check its brackets, braces and backslashes)", glob)
			}
		}
		switch key {
		case "branches":
			g.Branches = globs
		case "tags":
			g.Tags = globs
		case "paths":
			g.Paths = globs
		}
	})
	return g
}

// variables decodes the pipeline variables: a list of {name, default,
// description} or a mapping NAME: default.
func (d *decoder) variables(n ast.Node, field string) []pipeline.Variable {
	n = d.t.deref(n)
	if pairs, ok := mappingPairs(n); ok {
		var out []pipeline.Variable
		for _, kv := range pairs {
			name := keyText(kv.Key)
			where := join(field, name)
			d.pos[where] = lineOf(kv.Key)
			d.checkIdent(kv.Key, where, name, "variable name")
			def, _ := d.str(kv.Value, where)
			out = append(out, pipeline.Variable{Name: name, Default: def})
		}
		return out
	}
	items, _ := d.list(n, field)
	var out []pipeline.Variable
	for i, item := range items {
		where := index(field, i)
		var v pipeline.Variable
		hasName := false
		ok := d.fields(where, item, []string{"name", "default", "description"}, func(key, field string, val ast.Node) {
			switch key {
			case "name":
				v.Name, hasName = d.required(val, field), true
				d.checkIdent(val, field, v.Name, "variable name")
			case "default":
				v.Default, _ = d.str(val, field)
			case "description":
				v.Description, _ = d.str(val, field)
			}
		})
		if ok && !hasName {
			d.errorf(item, join(where, "name"), "missing")
		}
		out = append(out, v)
	}
	return out
}

// checkIdent records a problem when s is not a valid namespace or
// variable name.
func (d *decoder) checkIdent(n ast.Node, field, s, what string) {
	if s != "" && !identRE.MatchString(s) {
		d.errorf(n, field, "%q: a %s holds only letters, digits, '_', '@' and '-'", s, what)
	}
}

// join appends key to a field path.
func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

// index appends a list index to a field path.
func index(where string, i int) string {
	return fmt.Sprintf("%s[%d]", where, i)
}
