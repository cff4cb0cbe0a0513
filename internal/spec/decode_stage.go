package spec

import (
	"errors"
	"math"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/secpipe/secpipe/internal/pipeline"
)

var (
	stageFields  = []string{"name", "when", "actions"}
	actionFields = []string{"name", "provider", "run_order", "inputs", "outputs", "namespace", "config", "timeout", "retries"}
)

// maxRetries bounds Action.Retries.
const maxRetries = 10

// stage decodes one stage at field path where.
func (d *decoder) stage(n ast.Node, where string) pipeline.Stage {
	var s pipeline.Stage
	seen := map[string]bool{}
	ok := d.fields(where, n, stageFields, func(key, field string, v ast.Node) {
		seen[key] = true
		switch key {
		case "name":
			s.Name = d.ident(v, field, nameRE, "a stage name holds only letters, digits, '_', '.', '@' and '-'")
		case "when":
			s.When, _ = d.str(v, field)
		case "actions":
			items, _ := d.list(v, field)
			for i, item := range items {
				s.Actions = append(s.Actions, d.action(item, index(field, i)))
			}
		}
	})
	if ok && !seen["name"] {
		d.errorf(n, join(where, "name"), "missing")
	}
	if ok && !seen["actions"] {
		d.errorf(n, join(where, "actions"), "missing (a stage needs at least one action)")
	}
	return s
}

// action decodes one action at field path where.
func (d *decoder) action(n ast.Node, where string) pipeline.Action {
	a := pipeline.Action{RunOrder: 1}
	seen := map[string]bool{}
	ok := d.fields(where, n, actionFields, func(key, field string, v ast.Node) {
		seen[key] = true
		switch key {
		case "name":
			a.Name = d.ident(v, field, nameRE, "an action name holds only letters, digits, '_', '.', '@' and '-'")
		case "provider":
			a.Provider = d.required(v, field)
		case "run_order":
			a.RunOrder = d.runOrder(v, field)
		case "inputs":
			a.Inputs = d.artifacts(v, field)
		case "outputs":
			a.Outputs = d.artifacts(v, field)
		case "namespace":
			a.Namespace = d.required(v, field)
			d.checkIdent(v, field, a.Namespace, "namespace")
		case "config":
			a.Config = d.config(v, field)
		case "timeout":
			a.Timeout = d.timeout(v, field)
		case "retries":
			a.Retries = d.retries(v, field)
		}
	})
	for _, key := range []string{"name", "provider"} {
		if ok && !seen[key] {
			d.errorf(n, join(where, key), "missing")
		}
	}
	return a
}

func (d *decoder) runOrder(n ast.Node, field string) int {
	i, ok := d.integer(n, field)
	if !ok {
		return 1
	}
	if i < 1 || i > 999 {
		d.errorf(n, field, "%d out of range (want 1 to 999)", i)
		return 1
	}
	return i
}

// artifacts reads a list of artifact names.
func (d *decoder) artifacts(n ast.Node, field string) []string {
	names := d.strList(n, field)
	for i, name := range names {
		if !nameRE.MatchString(name) {
			d.probs.add(d.pos.line(index(field, i)), index(field, i),
				"%q: an artifact name holds only letters, digits, '_', '.', '@' and '-'", name)
		}
	}
	return names
}

// config reads an action's free-form configuration, recording the line
// of every value in it.
func (d *decoder) config(n ast.Node, field string) map[string]any {
	n = d.t.deref(n)
	if isNull(n) {
		return nil
	}
	if _, ok := mappingPairs(n); !ok {
		d.errorf(n, field, "want a mapping, got %s", kindOf(n))
		return nil
	}
	d.configPositions(n, field, 0)
	v, err := d.t.value(n, 0)
	if err != nil {
		var ve *valueError
		if errors.As(err, &ve) {
			d.errorf(ve.node, field, "%v", ve.err)
		} else {
			d.errorf(n, field, "%v", err)
		}
		return nil
	}
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	return m
}

// configPositions records the line of every field of a free-form value,
// so that problems inside it (a bad reference) name their line.
func (d *decoder) configPositions(n ast.Node, field string, depth int) {
	if depth > maxDepth {
		return
	}
	switch v := n.(type) {
	case *ast.AnchorNode:
		// Aliases are not followed: what they expand to is reported at
		// the alias's line.
		d.configPositions(v.Value, field, depth+1)
	case *ast.MappingNode, *ast.MappingValueNode:
		pairs, _ := mappingPairs(v)
		for _, kv := range pairs {
			f := join(field, keyText(kv.Key))
			if _, done := d.pos[f]; done {
				continue
			}
			d.pos[f] = lineOf(kv.Key)
			d.configPositions(kv.Value, f, depth+1)
		}
	case *ast.SequenceNode:
		for i, item := range v.Values {
			f := index(field, i)
			if _, done := d.pos[f]; done {
				continue
			}
			d.pos[f] = lineOf(item)
			d.configPositions(item, f, depth+1)
		}
	}
}

// timeout reads a Go duration ("10m") or a number of seconds.
func (d *decoder) timeout(n ast.Node, field string) time.Duration {
	n = d.t.deref(n)
	var dur time.Duration
	switch v := n.(type) {
	case *ast.IntegerNode:
		secs, ok := d.integer(v, field)
		if !ok {
			return 0
		}
		if secs > math.MaxInt64/int(time.Second) {
			d.errorf(n, field, "%d seconds is too long", secs)
			return 0
		}
		dur = time.Duration(secs) * time.Second
	default:
		s, ok := scalar(n)
		if !ok {
			d.errorf(n, field, "want a duration like 10m or a number of seconds, got %s", kindOf(n))
			return 0
		}
		parsed, err := time.ParseDuration(s)
		if err != nil {
			d.errorf(n, field, "bad duration %q (want one like 90s, 10m or 1h30m, or a number of seconds)", s)
			return 0
		}
		dur = parsed
	}
	if dur <= 0 {
		d.errorf(n, field, "%v: a timeout must be positive (drop it for the provider's default)", dur)
		return 0
	}
	return dur
}

func (d *decoder) retries(n ast.Node, field string) int {
	i, ok := d.integer(n, field)
	if !ok {
		return 0
	}
	if i < 0 || i > maxRetries {
		d.errorf(n, field, "%d out of range (want 0 to %d)", i, maxRetries)
		return 0
	}
	return i
}
