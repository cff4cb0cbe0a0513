package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/goccy/go-yaml"
)

// WhenEnv is what a `when` condition can see.
type WhenEnv struct {
	// RepoDir is the repository that file() and exists() read, relative
	// paths only; nothing outside it (symbolic links included) is
	// reachable.
	RepoDir string
	// Variables are the execution's variables as the engine keeps them:
	// "variables.NAME" for pipeline variables and "Namespace.Var" for
	// output variables. An expression reads them as variables["K"] or
	// var("K"); var also accepts a bare pipeline variable NAME.
	Variables map[string]string
}

// EvalWhen evaluates a stage condition with expr-lang/expr and returns
// its result; an empty condition holds. The environment offers
// file(path) (the JSON or YAML document at RepoDir/path: .json files are
// JSON, anything else YAML), exists(path) (a bool), the variables map and
// var(name). A condition that does not compile, or whose result is not a
// bool, is an error wrapping pipeline.ErrInvalid; a file() of a missing
// file is an error naming it that wraps pipeline.ErrNotFound. Each call
// reads the files afresh; it is safe for concurrent use.
func EvalWhen(expression string, env WhenEnv) (bool, error) {
	if strings.TrimSpace(expression) == "" {
		return true, nil
	}
	w := &whenRun{env: env}
	defer w.close()
	program, err := expr.Compile(expression, whenOptions(w.file, w.exists, w.lookup)...)
	if err != nil {
		return false, invalidf("when %q: %s", expression, exprMessage(err))
	}
	out, err := expr.Run(program, map[string]any{"variables": variablesOf(env)})
	if w.err != nil {
		return false, w.err
	}
	if err != nil {
		return false, invalidf("when %q: %s", expression, exprMessage(err))
	}
	b, ok := out.(bool)
	if !ok {
		return false, invalidf("when %q: the result is %T, not a bool", expression, out)
	}
	return b, nil
}

// compileWhen checks a condition without running it, as Parse does.
func compileWhen(expression string) error {
	stub := func(...any) (any, error) { return nil, nil }
	_, err := expr.Compile(expression, whenOptions(stub, stub, stub)...)
	if err != nil {
		return errors.New(exprMessage(err))
	}
	return nil
}

// whenOptions declares the environment of a condition.
func whenOptions(fileFn, existsFn, varFn func(...any) (any, error)) []expr.Option {
	return []expr.Option{
		expr.Env(map[string]any{"variables": map[string]string{}}),
		expr.AsBool(),
		expr.Function("file", fileFn, new(func(string) any)),
		expr.Function("exists", existsFn, new(func(string) bool)),
		expr.Function("var", varFn, new(func(string) string)),
	}
}

// exprMessage renders an expr error on one line.
func exprMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Line > 1 {
			return fmt.Sprintf("%s (line %d, column %d)", fe.Message, fe.Line, fe.Column+1)
		}
		if fe.Snippet != "" {
			return fmt.Sprintf("%s (column %d)", fe.Message, fe.Column+1)
		}
		return fe.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func variablesOf(env WhenEnv) map[string]string {
	if env.Variables == nil {
		return map[string]string{}
	}
	return env.Variables
}

// whenRun is one evaluation: the repository root, opened on first use,
// and the first error a function met.
type whenRun struct {
	env  WhenEnv
	root *os.Root
	err  error
}

func (w *whenRun) close() {
	if w.root != nil {
		w.root.Close()
	}
}

// fail records err as the evaluation's error and returns it.
func (w *whenRun) fail(err error) (any, error) {
	if w.err == nil {
		w.err = err
	}
	return nil, err
}

// open returns the repository root, checking that path stays inside it.
func (w *whenRun) open(fn, path string) (*os.Root, error) {
	if !filepath.IsLocal(path) {
		return nil, invalidf("%s(%q): the path must be relative and stay inside the repository", fn, path)
	}
	if w.root != nil {
		return w.root, nil
	}
	if w.env.RepoDir == "" {
		return nil, invalidf("%s(%q): no repository to read", fn, path)
	}
	root, err := os.OpenRoot(w.env.RepoDir)
	if err != nil {
		return nil, fmt.Errorf("%s(%q): open repository: %w", fn, path, err)
	}
	w.root = root
	return root, nil
}

// file implements file(path).
func (w *whenRun) file(args ...any) (any, error) {
	path, _ := args[0].(string)
	root, err := w.open("file", path)
	if err != nil {
		return w.fail(err)
	}
	data, err := readRootFile(root, path)
	if errors.Is(err, fs.ErrNotExist) {
		return w.fail(notFoundf("file(%q): no such file in the repository %s", path, w.env.RepoDir))
	}
	if err != nil {
		return w.fail(fmt.Errorf("file(%q): %w", path, err))
	}
	var doc any
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(data, &doc)
	} else {
		err = yaml.Unmarshal(data, &doc)
	}
	if err != nil {
		return w.fail(invalidf("file(%q): %s", path, strings.ReplaceAll(err.Error(), "\n", " ")))
	}
	return doc, nil
}

// readRootFile reads a file below root, refusing huge ones.
func readRootFile(root *os.Root, path string) ([]byte, error) {
	st, err := root.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("a directory, not a file")
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("file too large (%d bytes, the limit is %d)", st.Size(), maxFileSize)
	}
	return root.ReadFile(path)
}

// exists implements exists(path).
func (w *whenRun) exists(args ...any) (any, error) {
	path, _ := args[0].(string)
	root, err := w.open("exists", path)
	if err != nil {
		return w.fail(err)
	}
	_, err = root.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return w.fail(fmt.Errorf("exists(%q): %w", path, err))
}

// lookup implements var(name).
func (w *whenRun) lookup(args ...any) (any, error) {
	name, _ := args[0].(string)
	if v, ok := w.env.Variables[name]; ok {
		return v, nil
	}
	if v, ok := w.env.Variables["variables."+name]; ok {
		return v, nil
	}
	return w.fail(invalidf("var(%q): no such variable", name))
}
