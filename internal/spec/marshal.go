package spec

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Marshal writes p as a secpipe.yml document that Parse reads back to an
// equal Pipeline (config values keep their types: strings, ints, floats,
// bools, null, lists and mappings). Config mappings are written with
// sorted keys, so the output is deterministic. It returns an error for a
// config value of another type (a struct, a channel).
func Marshal(p *pipeline.Pipeline) ([]byte, error) {
	doc, err := pipelineDoc(p)
	if err != nil {
		return nil, err
	}
	var e emitter
	e.mapping(doc, 0)
	return e.b.Bytes(), nil
}

// omap is a YAML mapping with its keys in order.
type omap []pair

type pair struct {
	key string
	val any
}

// add appends key: val.
func (m *omap) add(key string, val any) { *m = append(*m, pair{key, val}) }

// addStrings appends key: [list] unless the list is empty.
func (m *omap) addStrings(key string, list []string) {
	if len(list) > 0 {
		m.add(key, stringsToAny(list))
	}
}

func stringsToAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// pipelineDoc lays p out in the order of DESIGN.md's example.
func pipelineDoc(p *pipeline.Pipeline) (omap, error) {
	var doc omap
	doc.add("version", max(p.Version, 1))
	doc.add("name", p.Name)
	if p.ExecutionMode != "" {
		doc.add("execution_mode", string(p.ExecutionMode))
	}
	var triggers []any
	for _, tr := range p.Triggers {
		var git omap
		if tr.Git != nil {
			git.addStrings("branches", tr.Git.Branches)
			git.addStrings("tags", tr.Git.Tags)
			git.addStrings("paths", tr.Git.Paths)
		}
		triggers = append(triggers, omap{{"git", git}})
	}
	if len(triggers) > 0 {
		doc.add("triggers", triggers)
	}
	var vars []any
	for _, v := range p.Variables {
		m := omap{{"name", v.Name}}
		if v.Default != "" {
			m.add("default", v.Default)
		}
		if v.Description != "" {
			m.add("description", v.Description)
		}
		vars = append(vars, m)
	}
	if len(vars) > 0 {
		doc.add("variables", vars)
	}
	var stages []any
	for _, st := range p.Stages {
		m, err := stageDoc(st)
		if err != nil {
			return nil, err
		}
		stages = append(stages, m)
	}
	doc.add("stages", stages)
	return doc, nil
}

func stageDoc(st pipeline.Stage) (omap, error) {
	m := omap{{"name", st.Name}}
	if st.When != "" {
		m.add("when", st.When)
	}
	var actions []any
	for _, a := range st.Actions {
		am, err := actionDoc(a)
		if err != nil {
			return nil, fmt.Errorf("stage %q: %w", st.Name, err)
		}
		actions = append(actions, am)
	}
	m.add("actions", actions)
	return m, nil
}

func actionDoc(a pipeline.Action) (omap, error) {
	m := omap{{"name", a.Name}, {"provider", a.Provider}}
	if a.RunOrder > 1 {
		m.add("run_order", a.RunOrder)
	}
	m.addStrings("inputs", a.Inputs)
	m.addStrings("outputs", a.Outputs)
	if a.Namespace != "" {
		m.add("namespace", a.Namespace)
	}
	if a.Timeout != 0 {
		m.add("timeout", formatDuration(a.Timeout))
	}
	if a.Retries != 0 {
		m.add("retries", a.Retries)
	}
	if len(a.Config) > 0 {
		c, err := freeForm(reflect.ValueOf(a.Config), 0)
		if err != nil {
			return nil, fmt.Errorf("action %q: config: %w", a.Name, err)
		}
		m.add("config", c)
	}
	return m, nil
}

// freeForm turns a config value into emitter values: mappings with
// sorted keys, lists and scalars.
func freeForm(v reflect.Value, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	if !v.IsValid() {
		return nil, nil
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return freeForm(v.Elem(), depth+1)
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint(), nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			x, err := freeForm(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		return freeFormMap(v, depth)
	}
	return nil, fmt.Errorf("cannot write a %s as YAML", v.Type())
}

func freeFormMap(v reflect.Value, depth int) (any, error) {
	if v.Type().Key().Kind() != reflect.String {
		return nil, fmt.Errorf("cannot write a %s as YAML: keys must be strings", v.Type())
	}
	keys := make([]string, 0, v.Len())
	for _, k := range v.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	out := make(omap, 0, len(keys))
	for _, k := range keys {
		x, err := freeForm(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), depth+1)
		if err != nil {
			return nil, err
		}
		out.add(k, x)
	}
	return out, nil
}

// emitter writes block-style YAML.
type emitter struct {
	b bytes.Buffer
}

func (e *emitter) indent(n int) {
	for range n {
		e.b.WriteByte(' ')
	}
}

// mapping writes the pairs of m, each on its own line at column n.
func (e *emitter) mapping(m omap, n int) {
	for _, p := range m {
		e.indent(n)
		e.entry(p.key, p.val, n)
	}
}

// entry writes "key: value" starting at the current position; n is the
// key's column.
func (e *emitter) entry(key string, val any, n int) {
	e.b.WriteString(scalarText(key))
	e.b.WriteByte(':')
	e.value(val, n)
}

// value writes a value after "key:" or "-" whose column is n.
func (e *emitter) value(val any, n int) {
	switch v := val.(type) {
	case omap:
		if len(v) == 0 {
			e.b.WriteString(" {}\n")
			return
		}
		e.b.WriteByte('\n')
		e.mapping(v, n+2)
	case []any:
		if flow, ok := flowList(v); ok {
			e.b.WriteString(" " + flow + "\n")
			return
		}
		e.b.WriteByte('\n')
		e.sequence(v, n+2)
	case string:
		if block, ok := blockLiteral(v, n+2); ok {
			e.b.WriteString(" " + block)
			return
		}
		e.b.WriteString(" " + scalarText(v) + "\n")
	default:
		e.b.WriteString(" " + scalarText(v) + "\n")
	}
}

// sequence writes the items of a list at column n.
func (e *emitter) sequence(items []any, n int) {
	for _, item := range items {
		e.indent(n)
		m, ok := item.(omap)
		if !ok || len(m) == 0 {
			e.b.WriteByte('-')
			e.value(item, n)
			continue
		}
		e.b.WriteString("- ")
		e.entry(m[0].key, m[0].val, n+2)
		e.mapping(m[1:], n+2)
	}
}

// flowList writes a short list of one-line scalars as [a, b]; it reports
// false when the list does not qualify.
func flowList(items []any) (string, bool) {
	if len(items) == 0 {
		return "[]", true
	}
	parts := make([]string, len(items))
	width := 0
	for i, item := range items {
		switch item.(type) {
		case omap, []any:
			return "", false
		}
		parts[i] = scalarText(item)
		width += len(parts[i]) + 2
	}
	if width > 80 {
		return "", false
	}
	return "[" + strings.Join(parts, ", ") + "]", true
}

// plainRE matches strings that read back as the same string when written
// without quotes, in block and flow context; words that YAML would read
// as another type are excluded separately.
var plainRE = regexp.MustCompile(`^[A-Za-z_/][A-Za-z0-9_./@-]*( [A-Za-z0-9_./@-]+)*$`)

// durationRE matches Go durations ("30m", "1h30m"), which YAML reads as
// strings.
var durationRE = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`)

// keywords are plain words some YAML reader would not read as strings.
var keywords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "y": true, "n": true, "on": true, "off": true,
	"null": true, "nan": true, "inf": true,
}

// scalarText writes one scalar.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if (plainRE.MatchString(t) && !keywords[strings.ToLower(t)]) || durationRE.MatchString(t) {
			return t
		}
		return quote(t)
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case float64:
		return formatFloat(t)
	}
	return quote(fmt.Sprint(v))
}

// formatFloat writes a float so that it reads back as a float: with a
// decimal point, and .inf/.nan for the special values.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if hasExp {
		return mant + "e" + exp
	}
	return mant
}

// formatDuration writes d as Go does, without its zero minutes and
// seconds: 30m rather than 30m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// quote writes s as a quoted YAML scalar: in double quotes when it needs
// no escapes, in single quotes when it holds a quote or backslash but
// only printable characters, else in double quotes with escapes.
func quote(s string) string {
	if printable(s) {
		if !strings.ContainsAny(s, `"\`) {
			return `"` + s + `"`
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// blockLiteral writes a multi-line string as a literal block ("|" or
// "|-" and its lines at column n) when it reads back exactly; it reports
// false otherwise, and the string is quoted instead.
func blockLiteral(s string, n int) (string, bool) {
	body, trailing := strings.CutSuffix(s, "\n")
	if !strings.Contains(body, "\n") || strings.HasSuffix(body, "\n") {
		return "", false
	}
	lines := strings.Split(body, "\n")
	for _, line := range lines {
		if line == "" || strings.TrimSpace(line) != line || !printable(line) {
			return "", false
		}
	}
	var b strings.Builder
	b.WriteString("|")
	if !trailing {
		b.WriteString("-")
	}
	b.WriteByte('\n')
	pad := strings.Repeat(" ", n)
	for _, line := range lines {
		b.WriteString(pad + line + "\n")
	}
	return b.String(), true
}

// printable reports whether every rune of s is printable and ASCII or a
// letter, digit, punctuation or symbol.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && !unicode.IsPrint(r)) {
			return false
		}
	}
	return true
}
