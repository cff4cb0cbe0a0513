package spec

import (
	"fmt"
	"slices"
	"sort"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// varsNamespace is the namespace of the pipeline variables.
const varsNamespace = "variables"

// site is where an action sits: its stage, its place and run order.
type site struct {
	stage, action, order int
	name                 string
}

// path is the action's field path.
func (s site) path() string { return fmt.Sprintf("stages[%d].actions[%d]", s.stage, s.action) }

// runsBefore reports whether s finishes before t starts: an earlier stage,
// or a lower run order in the same stage.
func (s site) runsBefore(t site) bool {
	return s.stage < t.stage || (s.stage == t.stage && s.order < t.order)
}

func (s site) same(t site) bool { return s.stage == t.stage && s.action == t.action }

// validator checks what the decoder cannot see field by field: names
// across the pipeline, artifacts, namespaces and references.
type validator struct {
	p     *pipeline.Pipeline
	pos   positions
	opts  Options
	probs *problems
	// producers maps an artifact to the action that outputs it;
	// namespaces maps a namespace to the action that declares it.
	producers  map[string]site
	namespaces map[string]site
	variables  map[string]bool
}

// validate records every problem of p; pos gives lines (none for an
// imported pipeline).
func validate(p *pipeline.Pipeline, pos positions, opts Options, probs *problems) {
	v := &validator{p: p, pos: pos, opts: opts, probs: probs,
		producers: map[string]site{}, namespaces: map[string]site{}, variables: map[string]bool{}}
	imported := len(pos) == 0
	if imported {
		v.names()
	}
	v.pipelineVariables()
	if len(p.Stages) == 0 {
		if _, ok := pos["stages"]; ok || imported {
			v.errorf("stages", "empty (a pipeline needs at least one stage)")
		}
		return
	}
	v.declarations()
	for i, st := range p.Stages {
		v.stage(i, st)
	}
}

// errorf records a problem at field, with the field's line.
func (v *validator) errorf(field, format string, args ...any) {
	v.probs.add(v.pos.line(field), field, format, args...)
}

// at returns "line N" for a message, or the field path when the line is
// unknown.
func (v *validator) at(field string) string {
	if l := v.pos.line(field); l > 0 {
		return fmt.Sprintf("line %d", l)
	}
	return field
}

// names checks the names the decoder checks field by field, for a
// pipeline that was not decoded from YAML.
func (v *validator) names() {
	check := func(field, s string, re interface{ MatchString(string) bool }) {
		switch {
		case s == "":
			v.errorf(field, "missing")
		case !re.MatchString(s):
			v.errorf(field, "%q holds characters other than letters, digits, '_', '.', '@' and '-'", s)
		}
	}
	check("name", v.p.Name, pipelineNameRE)
	for i, st := range v.p.Stages {
		check(join(index("stages", i), "name"), st.Name, nameRE)
		for j, a := range st.Actions {
			where := site{stage: i, action: j}.path()
			check(join(where, "name"), a.Name, nameRE)
			check(join(where, "provider"), a.Provider, nameRE)
			for k, art := range a.Inputs {
				check(index(join(where, "inputs"), k), art, nameRE)
			}
			for k, art := range a.Outputs {
				check(index(join(where, "outputs"), k), art, nameRE)
			}
			if a.Namespace != "" {
				check(join(where, "namespace"), a.Namespace, identRE)
			}
		}
	}
	for i, pv := range v.p.Variables {
		check(join(index("variables", i), "name"), pv.Name, identRE)
	}
}

func (v *validator) pipelineVariables() {
	first := map[string]string{}
	for i, pv := range v.p.Variables {
		field := index("variables", i)
		if _, ok := v.pos[join("variables", pv.Name)]; ok {
			field = join("variables", pv.Name) // the mapping form
		}
		if pv.Name == "" {
			continue
		}
		if f, dup := first[pv.Name]; dup {
			v.errorf(field, "duplicate variable %q (first at %s)", pv.Name, v.at(f))
			continue
		}
		first[pv.Name] = field
		v.variables[pv.Name] = true
	}
}

// declarations records every artifact producer and namespace, reporting
// duplicates.
func (v *validator) declarations() {
	for i, st := range v.p.Stages {
		for j, a := range st.Actions {
			s := site{stage: i, action: j, order: a.Order(), name: a.Name}
			for k, out := range a.Outputs {
				field := index(join(s.path(), "outputs"), k)
				if prev, dup := v.producers[out]; dup {
					v.errorf(field, "duplicate output artifact %q (also produced by action %q at %s)",
						out, prev.name, v.at(index(join(prev.path(), "outputs"), 0)))
					continue
				}
				v.producers[out] = s
			}
			if a.Namespace == "" {
				continue
			}
			field := join(s.path(), "namespace")
			if a.Namespace == varsNamespace {
				v.errorf(field, "%q is reserved for the pipeline variables", a.Namespace)
				continue
			}
			if prev, dup := v.namespaces[a.Namespace]; dup {
				v.errorf(field, "duplicate namespace %q (also declared by action %q at %s)",
					a.Namespace, prev.name, v.at(join(prev.path(), "namespace")))
				continue
			}
			v.namespaces[a.Namespace] = s
		}
	}
}

// stage checks one stage and its actions.
func (v *validator) stage(i int, st pipeline.Stage) {
	where := index("stages", i)
	for j := range i {
		if st.Name != "" && v.p.Stages[j].Name == st.Name {
			v.errorf(join(where, "name"), "duplicate stage name %q (first at %s)", st.Name, v.at(join(index("stages", j), "name")))
			break
		}
	}
	if st.When != "" {
		if err := compileWhen(st.When); err != nil {
			v.errorf(join(where, "when"), "bad condition: %v", err)
		}
	}
	if len(st.Actions) == 0 {
		if _, ok := v.pos[join(where, "actions")]; ok || v.pos.line(where) == 0 {
			v.errorf(join(where, "actions"), "empty (a stage needs at least one action)")
		}
	}
	for j, a := range st.Actions {
		s := site{stage: i, action: j, order: a.Order(), name: a.Name}
		for k := range j {
			if a.Name != "" && st.Actions[k].Name == a.Name {
				v.errorf(join(s.path(), "name"), "duplicate action name %q in stage %q (first at %s)",
					a.Name, st.Name, v.at(join(index(join(where, "actions"), k), "name")))
				break
			}
		}
		v.action(s, a)
	}
}

// action checks one action's provider, inputs and references.
func (v *validator) action(s site, a pipeline.Action) {
	if v.opts.Providers != nil && a.Provider != "" && !slices.Contains(v.opts.Providers, a.Provider) {
		v.errorf(join(s.path(), "provider"), "unknown provider %q %s",
			a.Provider, orWant(suggest(a.Provider, v.opts.Providers), v.opts.Providers))
	}
	for k, in := range a.Inputs {
		v.input(s, index(join(s.path(), "inputs"), k), in, a)
	}
	v.references(s, join(s.path(), "config"), a.Config)
}

// input checks that artifact in is produced before action s runs.
func (v *validator) input(s site, field, in string, a pipeline.Action) {
	prod, ok := v.producers[in]
	switch {
	case slices.Contains(a.Outputs, in):
		v.errorf(field, "action %q consumes its own output %q (a cycle)", a.Name, in)
	case !ok:
		v.errorf(field, "artifact %q is not the output of any action%s", in, suggest(in, v.artifactNames()))
	case prod.runsBefore(s):
	case prod.stage == s.stage && prod.order == s.order:
		v.errorf(field, "artifact %q is consumed before it is produced: action %q at %s has the same run_order %d and runs in parallel (give the producer a lower run_order)",
			in, prod.name, v.at(prod.path()), s.order)
	default:
		v.errorf(field, "artifact %q is consumed before it is produced: action %q at %s runs later (a forward reference is a cycle)",
			in, prod.name, v.at(prod.path()))
	}
}

func (v *validator) artifactNames() []string {
	names := make([]string, 0, len(v.producers))
	for n := range v.producers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// references checks every #{Namespace.Var} in the strings of a config
// value at field.
func (v *validator) references(s site, field string, val any) {
	switch t := val.(type) {
	case string:
		refs, err := refsIn(t)
		if err != nil {
			v.errorf(field, "%v", err)
		}
		for _, r := range refs {
			v.reference(s, field, r)
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v.references(s, join(field, k), t[k])
		}
	case []any:
		for i, x := range t {
			v.references(s, index(field, i), x)
		}
	}
}

// reference checks one reference made by the action at s.
func (v *validator) reference(s site, field string, r ref) {
	if r.Namespace == varsNamespace {
		if !v.variables[r.Var] {
			v.errorf(field, "%s: no pipeline variable %q%s", r, r.Var, suggest(r.Var, v.variableNames()))
		}
		return
	}
	decl, ok := v.namespaces[r.Namespace]
	switch {
	case !ok:
		v.errorf(field, "%s: namespace %q is not declared by any action%s", r, r.Namespace, suggest(r.Namespace, v.namespaceNames()))
	case decl.same(s):
		v.errorf(field, "%s: action %q refers to its own namespace %q (a cycle)", r, s.name, r.Namespace)
	case decl.runsBefore(s):
	case decl.stage == s.stage && decl.order == s.order:
		v.errorf(field, "%s: namespace %q belongs to action %q at %s, which has the same run_order %d and runs in parallel (give it a lower run_order)",
			r, r.Namespace, decl.name, v.at(decl.path()), s.order)
	default:
		v.errorf(field, "%s: namespace %q belongs to action %q at %s, which runs later (a forward reference is a cycle)",
			r, r.Namespace, decl.name, v.at(decl.path()))
	}
}

func (v *validator) variableNames() []string {
	var names []string
	for n := range v.variables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (v *validator) namespaceNames() []string {
	var names []string
	for n := range v.namespaces {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
