package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// file is one parsed Dockerfile: the meta ARGs before its first FROM and
// its build stages in order. A file without instructions has no stages.
type file struct {
	path   string
	args   []*instr
	stages []*stage
	escape rune
}

// stage is one build stage: a FROM and the instructions up to the next.
type stage struct {
	index int
	// name is the stage's AS name, lower-cased ("" when unnamed).
	name string
	from *instr
	// image is the base as written with meta-ARG defaults substituted;
	// resolved is false when a variable without default remains.
	image    string
	resolved bool
	// parent is the earlier stage this one builds on (FROM builder), or nil.
	parent *stage
	instrs []*instr
}

// instr is one instruction. For ENV and LABEL, args hold key, value and
// separator triples as the parser gives them; for RUN, CMD and ENTRYPOINT
// in shell form, one string with the whole command line.
type instr struct {
	cmd      string // upper-case: RUN, USER
	args     []string
	flags    []string
	line     int
	json     bool
	heredocs []parser.Heredoc
}

// final returns the last stage, the one the image is built from by default.
func (f *file) final() *stage {
	if len(f.stages) == 0 {
		return nil
	}
	return f.stages[len(f.stages)-1]
}

// flag returns the value of --name=value among the instruction's flags.
func (in *instr) flag(name string) (string, bool) {
	for _, f := range in.flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// parse parses the Dockerfile at p. Errors are *syntaxError values
// (wrapping pipeline.ErrInvalid, reading "PATH:LINE: problem"); quoted
// text from the file is masked in them, since a malformed ENV may hold a
// credential.
func parse(p string, data []byte) (*file, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, &syntaxError{path: p, msg: "binary content, not a Dockerfile"}
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		if strings.Contains(err.Error(), "file with no instructions") {
			return &file{path: p}, nil
		}
		return nil, parseError(p, err)
	}
	f := &file{path: p, escape: res.EscapeToken}
	for _, n := range res.AST.Children {
		if err := f.add(n); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// add appends one parsed instruction to f.
func (f *file) add(n *parser.Node) error {
	in := newInstr(n)
	if _, ok := command.Commands[strings.ToLower(in.cmd)]; !ok {
		return &syntaxError{path: f.path, line: in.line, msg: "unknown instruction " + mask(in.cmd)}
	}
	switch {
	case in.cmd == "FROM":
		return f.addStage(in)
	case len(f.stages) > 0:
		st := f.final()
		st.instrs = append(st.instrs, in)
	case in.cmd == "ARG":
		f.args = append(f.args, in)
	default:
		return &syntaxError{path: f.path, line: in.line, msg: in.cmd + " before the first FROM"}
	}
	return nil
}

func newInstr(n *parser.Node) *instr {
	in := &instr{
		cmd:      strings.ToUpper(n.Value),
		flags:    n.Flags,
		line:     n.StartLine,
		json:     n.Attributes["json"],
		heredocs: n.Heredocs,
	}
	for a := n.Next; a != nil; a = a.Next {
		in.args = append(in.args, a.Value)
	}
	return in
}

// addStage starts a stage at a FROM instruction.
func (f *file) addStage(in *instr) error {
	if len(in.args) == 0 || in.args[0] == "" {
		return &syntaxError{path: f.path, line: in.line, msg: "FROM without an image"}
	}
	st := &stage{index: len(f.stages), from: in}
	switch {
	case len(in.args) == 3 && strings.EqualFold(in.args[1], "AS"):
		st.name = strings.ToLower(in.args[2])
	case len(in.args) != 1:
		return &syntaxError{path: f.path, line: in.line, msg: "FROM wants IMAGE [AS NAME]"}
	}
	st.image, st.resolved = f.expand(in.args[0], f.metaArgs())
	for _, prev := range f.stages {
		if prev.name != "" && prev.name == strings.ToLower(st.image) {
			st.parent = prev
		}
	}
	f.stages = append(f.stages, st)
	return nil
}

// metaArgs returns the defaults of the ARGs declared before the first FROM.
func (f *file) metaArgs() map[string]string {
	env := map[string]string{}
	for _, in := range f.args {
		for _, a := range in.args {
			if k, v, ok := strings.Cut(a, "="); ok {
				env[k], _ = f.expand(v, env)
			}
		}
	}
	return env
}

// env returns the variables visible to instruction upto of st: the
// defaults of ARGs and the values of ENVs before it, in this stage and the
// stages it builds on (a redeclared meta ARG takes the meta default).
func (f *file) env(st *stage, upto *instr) map[string]string {
	env := map[string]string{}
	if st.parent != nil {
		env = f.env(st.parent, nil)
	}
	meta := f.metaArgs()
	for _, in := range st.instrs {
		if in == upto {
			break
		}
		switch in.cmd {
		case "ARG":
			for _, a := range in.args {
				k, v, ok := strings.Cut(a, "=")
				if !ok {
					v, ok = meta[k]
				}
				if ok {
					env[k], _ = f.expand(v, env)
				}
			}
		case "ENV":
			for _, kv := range pairs(in) {
				env[kv.key], _ = f.expand(kv.value, env)
			}
		}
	}
	return env
}

// expand substitutes variables in word the way the builder does, and
// removes quotes. It reports false when a variable is unset.
func (f *file) expand(word string, env map[string]string) (string, bool) {
	escape := f.escape
	if escape == 0 {
		escape = '\\'
	}
	// BuildKit's lexer reports malformed text on standard error; such
	// text is not a usable value anyway.
	if !utf8.ValidString(word) {
		return word, false
	}
	kv := make([]string, 0, len(env))
	for k, v := range env {
		if utf8.ValidString(v) {
			kv = append(kv, k+"="+v)
		}
	}
	res, err := shell.NewLex(escape).ProcessWordWithMatches(word, shell.EnvsFromSlice(kv))
	if err != nil {
		return word, false
	}
	return res.Result, len(res.Unmatched) == 0
}

// keyValue is one ENV or LABEL pair. raw is the value as written, before
// unquoting and substitution.
type keyValue struct {
	key, raw, value string
}

// pairs returns the key/value pairs of an ENV or LABEL instruction (the
// parser gives key, value, separator triples) or of an ARG (NAME[=value]).
func pairs(in *instr) []keyValue {
	var out []keyValue
	if in.cmd == "ARG" {
		for _, a := range in.args {
			k, v, _ := strings.Cut(a, "=")
			out = append(out, keyValue{key: k, raw: v, value: unquote(v)})
		}
		return out
	}
	for i := 0; i+1 < len(in.args); i += 3 {
		out = append(out, keyValue{key: in.args[i], raw: in.args[i+1], value: unquote(in.args[i+1])})
	}
	return out
}

// unquote removes one level of shell quoting without expanding variables.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// mask replaces quoted text, which may come from a secret-bearing line,
// with its redacted form.
func mask(s string) string {
	return quoted.ReplaceAllStringFunc(s, func(q string) string {
		return string(q[0]) + pipeline.Redact(q[1:len(q)-1]) + string(q[0])
	})
}

// syntaxError is a Dockerfile that does not parse: its path, the line
// at fault (0 when unknown) and what is wrong, with quoted text masked.
// It reads "invalid PATH:LINE: problem" and wraps pipeline.ErrInvalid.
type syntaxError struct {
	path string
	line int
	msg  string
}

func (e *syntaxError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%v %s:%d: %s", pipeline.ErrInvalid, e.path, e.line, e.msg)
	}
	return fmt.Sprintf("%v %s: %s", pipeline.ErrInvalid, e.path, e.msg)
}

func (e *syntaxError) Unwrap() error { return pipeline.ErrInvalid }

// parseError turns a parser error into a syntaxError.
func parseError(p string, err error) error {
	e := &syntaxError{path: p, msg: mask(err.Error())}
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 && le.Locations[0][0].Start.Line > 0 {
		e.line = le.Locations[0][0].Start.Line
	}
	return e
}
