// Package spec reads the files that define a pipeline: secpipe.yml (Parse,
// Load), CodeBuild's buildspec.yml (ParseBuildspec, LoadBuildspec) and the
// JSON declaration of an AWS CodePipeline (ImportCodePipeline). It also
// evaluates a stage's `when` condition (EvalWhen) and replaces
// #{Namespace.Var} references (Resolve) when an action starts.
//
// Every function is pure apart from the files it is asked to read, and safe
// for concurrent use. Errors about input wrap pipeline.ErrInvalid and read
// "FILE:LINE: FIELD: problem", one problem per line.
package spec

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// maxFileSize bounds the files this package reads: pipeline definitions are
// a few kilobytes, and a huge one is a mistake or an attack.
const maxFileSize = 4 << 20

// maxProblems is how many problems one error reports before giving up.
const maxProblems = 20

// Options tunes Parse and Load.
type Options struct {
	// Providers are the known provider names; an action naming another is
	// an error. Nil skips the check.
	Providers []string
}

// Parse reads a secpipe.yml document; name is the file name used in error
// messages. It checks the whole definition (names, artifacts, namespaces,
// references, conditions) and returns every problem found, up to 20, in
// one error wrapping pipeline.ErrInvalid, one "NAME:LINE: FIELD: problem"
// per line. Defaults are filled in: version 1, execution mode superseded,
// run order 1.
func Parse(name string, data []byte, opts Options) (*pipeline.Pipeline, error) {
	if len(data) > maxFileSize {
		return nil, invalidf("%s: file too large (%d bytes, the limit is %d)", name, len(data), maxFileSize)
	}
	body, t, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	probs := &problems{name: name}
	if body == nil {
		probs.add(0, "", "empty file (want version, name and stages)")
		return nil, probs.err()
	}
	d := &decoder{name: name, t: t, probs: probs, pos: positions{}}
	p := d.pipeline(body)
	validate(p, d.pos, opts, probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Load reads and parses the secpipe.yml at path; errors name path. A
// missing file wraps pipeline.ErrNotFound.
func Load(path string, opts Options) (*pipeline.Pipeline, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, opts)
}

// readFile reads a definition file, refusing huge ones.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("read %s: %w", path, pipeline.ErrNotFound)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, invalidf("%s: file too large (the limit is %d bytes)", path, maxFileSize)
	}
	return data, nil
}

// inputError is a message about bad or missing input. It matches its
// sentinel (pipeline.ErrInvalid or pipeline.ErrNotFound) while its text
// stays exactly the message (file, line, field, problem).
type inputError struct {
	msg  string
	kind error
}

func (e *inputError) Error() string { return e.msg }
func (e *inputError) Unwrap() error { return e.kind }

// invalidf formats an error that wraps pipeline.ErrInvalid.
func invalidf(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...), kind: pipeline.ErrInvalid}
}

// notFoundf formats an error that wraps pipeline.ErrNotFound.
func notFoundf(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...), kind: pipeline.ErrNotFound}
}

// problem is one thing wrong with a file, at a line (0 when unknown).
type problem struct {
	line  int
	field string
	msg   string
}

// problems collects what is wrong with one file.
type problems struct {
	name string
	list []problem
}

// add records a problem; field is the field path, empty for the file as a
// whole.
func (ps *problems) add(line int, field, format string, args ...any) {
	ps.list = append(ps.list, problem{line: line, field: field, msg: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was recorded, else one error listing the
// problems by line, at most maxProblems of them.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
	var lines []string
	for i, p := range list {
		if i == maxProblems {
			lines = append(lines, fmt.Sprintf("%s: too many errors (%d more)", ps.name, len(list)-i))
			break
		}
		lines = append(lines, ps.format(p))
	}
	return &inputError{msg: strings.Join(lines, "\n"), kind: pipeline.ErrInvalid}
}

// format renders one problem as "NAME:LINE: FIELD: msg".
func (ps *problems) format(p problem) string {
	var b strings.Builder
	b.WriteString(ps.name)
	if p.line > 0 {
		fmt.Fprintf(&b, ":%d", p.line)
	}
	b.WriteString(": ")
	if p.field != "" {
		b.WriteString(p.field)
		b.WriteString(": ")
	}
	b.WriteString(p.msg)
	return b.String()
}

// positions maps a field path ("stages[1].actions[0].inputs[0]") to the
// line it was read from.
type positions map[string]int

// line returns the line of path, or of its nearest enclosing field that
// has one; 0 when none has.
func (ps positions) line(path string) int {
	for path != "" {
		if l, ok := ps[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}
