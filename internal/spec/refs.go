package spec

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// varKeyRE is what the variable part of a reference may hold.
var varKeyRE = regexp.MustCompile(`^[A-Za-z0-9_@.-]+$`)

// ref is one #{Namespace.Var} reference.
type ref struct {
	Namespace, Var string
}

func (r ref) key() string { return r.Namespace + "." + r.Var }

func (r ref) String() string { return "#{" + r.key() + "}" }

// walkRefs splits s into literal text and references, in order: lit gets
// each piece of literal text ("##{" already turned into "#{"), onRef each
// reference. It stops at the first error from onRef or at a malformed
// reference.
func walkRefs(s string, lit func(string), onRef func(ref) error) error {
	for {
		i := strings.Index(s, "#{")
		if i < 0 {
			lit(s)
			return nil
		}
		if i > 0 && s[i-1] == '#' {
			// "##{" is a literal "#{".
			lit(s[:i-1])
			lit("#{")
			s = s[i+2:]
			continue
		}
		lit(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return fmt.Errorf("unterminated reference %q (want #{Namespace.Variable}; write ##{ for a literal #{)", clip(s[i:]))
		}
		body := s[i+2 : i+end]
		r, ok := parseRef(body)
		if !ok {
			return fmt.Errorf("malformed reference %q (want #{Namespace.Variable}; write ##{ for a literal #{)", clip(s[i:i+end+1]))
		}
		if err := onRef(r); err != nil {
			return err
		}
		s = s[i+end+1:]
	}
}

// parseRef reads "Namespace.Var".
func parseRef(body string) (ref, bool) {
	ns, v, ok := strings.Cut(body, ".")
	if !ok || !identRE.MatchString(ns) || !varKeyRE.MatchString(v) {
		return ref{}, false
	}
	return ref{Namespace: ns, Var: v}, true
}

// clip shortens s for a message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// refsIn returns the references in s, or the error for a malformed one.
func refsIn(s string) ([]ref, error) {
	var out []ref
	err := walkRefs(s, func(string) {}, func(r ref) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// Resolve returns a copy of v in which every #{Namespace.Var} in a string
// is replaced by vars["Namespace.Var"] and every "##{" by a literal "#{".
// It walks map[string]any, []any, []string and map[string]string (keys
// are left alone); other values are returned as they are. v is not
// modified. A reference to a variable missing from vars, or a malformed
// one, is an error naming it and its place in v; it wraps
// pipeline.ErrInvalid.
func Resolve(v any, vars map[string]string) (any, error) {
	return resolve(v, "", vars)
}

func resolve(v any, where string, vars map[string]string) (any, error) {
	switch t := v.(type) {
	case string:
		return expand(t, where, vars)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := resolve(x, join(where, k), vars)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := resolve(x, index(where, i), vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case []string:
		out := make([]string, len(t))
		for i, x := range t {
			r, err := expand(x, index(where, i), vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]string:
		out := make(map[string]string, len(t))
		for k, x := range t {
			r, err := expand(x, join(where, k), vars)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// expand resolves the references of one string.
func expand(s, where string, vars map[string]string) (string, error) {
	if !strings.Contains(s, "#{") {
		return s, nil
	}
	var b strings.Builder
	err := walkRefs(s, func(lit string) { b.WriteString(lit) }, func(r ref) error {
		val, ok := vars[r.key()]
		if !ok {
			return fmt.Errorf("unknown reference %s%s", r, knownIn(r.Namespace, vars))
		}
		b.WriteString(val)
		return nil
	})
	if err != nil {
		if where != "" {
			return "", invalidf("%s: %v", where, err)
		}
		return "", invalidf("%v", err)
	}
	return b.String(), nil
}

// knownIn lists the variables vars holds in namespace ns, for a message.
func knownIn(ns string, vars map[string]string) string {
	var names []string
	for k := range vars {
		if v, ok := strings.CutPrefix(k, ns+"."); ok {
			names = append(names, v)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (namespace %q has no variables)", ns)
	}
	sort.Strings(names)
	if len(names) > 10 {
		names = append(slices.Clip(names[:10]), "...")
	}
	return fmt.Sprintf(" (namespace %q has %s)", ns, strings.Join(names, ", "))
}
