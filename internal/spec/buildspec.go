package spec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/goccy/go-yaml/ast"
)

// Buildspec is a CodeBuild buildspec (version 0.2) as secpipe runs it.
// What cannot apply on one machine (parameter store, secrets manager,
// runtime versions, run-as, caches, batch builds, secondary artifacts) is
// not here: ParseBuildspec reports each as a warning.
type Buildspec struct {
	Version   string
	Env       BuildspecEnv
	Phases    []Phase
	Artifacts BuildspecArtifacts
	Reports   []Report
}

// BuildspecEnv is the env section.
type BuildspecEnv struct {
	// Shell is env.shell, empty for the default.
	Shell string
	// Variables are env.variables in file order.
	Variables []EnvVar
	// ExportedVariables are env.exported-variables: environment
	// variables read after the build and published as output variables.
	ExportedVariables []string
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name, Value string
}

// Phase is one build phase. Phases come in the order CodeBuild runs them:
// install, pre_build, build, post_build; absent ones are left out.
type Phase struct {
	// Name is install, pre_build, build or post_build.
	Name string
	// OnFailure is ABORT or CONTINUE as the buildspec sets it, or empty
	// when it does not: CodeBuild's phase transitions then apply (a failed
	// build phase still runs post_build), which an explicit ABORT stops.
	OnFailure string
	Commands  []string
	// Finally runs after Commands, whether they failed or not.
	Finally []string
}

// BuildspecArtifacts is the artifacts section.
type BuildspecArtifacts struct {
	// Files are doublestar globs relative to BaseDirectory ("**/*" for
	// everything).
	Files         []string
	BaseDirectory string
	// DiscardPaths flattens the matched files into the artifact's root.
	DiscardPaths bool
	Name         string
}

// Report is one entry of the reports section.
type Report struct {
	Name          string
	Files         []string
	BaseDirectory string
	// FileFormat is JUNITXML (the default) or another CodeBuild format,
	// which is kept but not parsed.
	FileFormat string
}

// The phases, in the order they run.
var phaseNames = []string{"install", "pre_build", "build", "post_build"}

// envNameRE is what an exported variable may be called.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseBuildspec reads a buildspec.yml; name is the file name used in
// messages. It returns the buildspec, warnings for fields that cannot
// apply locally ("NAME:LINE: FIELD: ..."), and an error wrapping
// pipeline.ErrInvalid listing every problem (up to 20), one per line.
func ParseBuildspec(name string, data []byte) (*Buildspec, []string, error) {
	if len(data) > maxFileSize {
		return nil, nil, invalidf("%s: file too large (%d bytes, the limit is %d)", name, len(data), maxFileSize)
	}
	body, t, err := parseYAML(name, data)
	if err != nil {
		return nil, nil, err
	}
	d := &bsDecoder{decoder: &decoder{name: name, t: t, probs: &problems{name: name}, pos: positions{}}}
	if body == nil {
		d.probs.add(0, "", "empty file (want version and phases)")
		return nil, nil, d.probs.err()
	}
	b := d.buildspec(body)
	if err := d.probs.err(); err != nil {
		return nil, d.warnings, err
	}
	return b, d.warnings, nil
}

// LoadBuildspec reads and parses the buildspec at path; errors and
// warnings name path. A missing file wraps pipeline.ErrNotFound.
func LoadBuildspec(path string) (*Buildspec, []string, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseBuildspec(path, data)
}

// bsDecoder decodes a buildspec, collecting warnings beside problems.
type bsDecoder struct {
	*decoder
	warnings []string
}

// warnf records a warning about field at n's line.
func (d *bsDecoder) warnf(n ast.Node, field, format string, args ...any) {
	p := problem{line: lineOf(n), field: field, msg: fmt.Sprintf(format, args...)}
	d.warnings = append(d.warnings, d.probs.format(p))
}

// ignored warns that field cannot apply locally.
func (d *bsDecoder) ignored(n ast.Node, field, why string) {
	d.warnf(n, field, "cannot apply locally: %s; ignored", why)
}

var buildspecFields = []string{"version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"}

func (d *bsDecoder) buildspec(n ast.Node) *Buildspec {
	b := &Buildspec{}
	seen := map[string]bool{}
	ok := d.fields("", n, buildspecFields, func(key, field string, v ast.Node) {
		seen[key] = true
		switch key {
		case "version":
			b.Version = d.version(v)
		case "run-as":
			d.ignored(v, field, "builds run as the current user")
		case "env":
			b.Env = d.env(v, field)
		case "proxy":
			d.ignored(v, field, "there is no CodeBuild proxy")
		case "batch":
			d.ignored(v, field, "batch builds are not supported")
		case "phases":
			b.Phases = d.phases(v, field)
		case "reports":
			b.Reports = d.reports(v, field)
		case "artifacts":
			b.Artifacts = d.artifacts(v, field)
		case "cache":
			d.ignored(v, field, "there is no build cache between runs")
		}
	})
	if ok && !seen["version"] {
		d.errorf(n, "version", "missing (want 0.2)")
	}
	if ok && !seen["phases"] {
		d.errorf(n, "phases", "missing (want install, pre_build, build or post_build)")
	}
	return b
}

func (d *bsDecoder) version(n ast.Node) string {
	n = d.t.deref(n)
	v, _ := scalar(n)
	switch v {
	case "0.2":
	case "0.1":
		d.warnf(n, "version", "version 0.1 is deprecated: the commands of a phase run in one shell, as with 0.2")
	default:
		d.errorf(n, "version", "unsupported version %s (want 0.2)", describe(n))
	}
	return v
}

var envFields = []string{"shell", "variables", "parameter-store", "exported-variables", "secrets-manager", "git-credential-helper"}

func (d *bsDecoder) env(n ast.Node, where string) BuildspecEnv {
	var env BuildspecEnv
	if isNull(d.t.deref(n)) {
		return env
	}
	d.fields(where, n, envFields, func(key, field string, v ast.Node) {
		switch key {
		case "shell":
			env.Shell, _ = d.str(v, field)
		case "variables":
			env.Variables = d.envVars(v, field)
		case "exported-variables":
			env.ExportedVariables = d.strList(v, field)
			for i, name := range env.ExportedVariables {
				if !envNameRE.MatchString(name) {
					d.probs.add(d.pos.line(index(field, i)), index(field, i), "%q is not an environment variable name", name)
				}
			}
		case "parameter-store":
			d.ignored(v, field, "AWS Systems Manager parameters are not fetched, so "+d.unset(v))
		case "secrets-manager":
			d.ignored(v, field, "AWS Secrets Manager secrets are not fetched, so "+d.unset(v))
		case "git-credential-helper":
			if s, _ := d.str(v, field); isYes(s) {
				d.ignored(v, field, "the local git configuration is used")
			}
		}
	})
	return env
}

// envVars reads env.variables: NAME: value, values as written.
func (d *bsDecoder) envVars(n ast.Node, where string) []EnvVar {
	n = d.t.deref(n)
	if isNull(n) {
		return nil
	}
	pairs, ok := mappingPairs(n)
	if !ok {
		d.errorf(n, where, "want a mapping NAME: value, got %s", kindOf(n))
		return nil
	}
	var out []EnvVar
	seen := map[string]int{}
	for _, kv := range pairs {
		name := keyText(kv.Key)
		field := join(where, name)
		if line, dup := seen[name]; dup {
			d.errorf(kv.Key, field, "repeated variable (first at line %d)", line)
			continue
		}
		seen[name] = lineOf(kv.Key)
		if !envNameRE.MatchString(name) {
			d.errorf(kv.Key, field, "%q is not an environment variable name", name)
		}
		value, _ := d.str(kv.Value, field)
		out = append(out, EnvVar{Name: name, Value: value})
	}
	return out
}

// keyList names the keys of a mapping, for a warning.
func (d *bsDecoder) keyList(n ast.Node) string {
	pairs, ok := mappingPairs(d.t.deref(n))
	if !ok {
		return "its variables"
	}
	var keys []string
	for _, kv := range pairs {
		keys = append(keys, keyText(kv.Key))
	}
	if len(keys) == 0 {
		return "its variables"
	}
	return strings.Join(keys, ", ")
}

// unset says which variables of a mapping stay unset.
func (d *bsDecoder) unset(n ast.Node) string {
	keys := d.keyList(n)
	if strings.Contains(keys, ", ") || keys == "its variables" {
		return keys + " are unset"
	}
	return keys + " is unset"
}

// isYes reads a buildspec yes/no flag.
func isYes(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "true", "on", "y":
		return true
	}
	return false
}

// flag reads yes/no/true/false.
func (d *bsDecoder) flag(n ast.Node, field string) bool {
	n = d.t.deref(n)
	s, ok := scalar(n)
	switch strings.ToLower(s) {
	case "yes", "true":
		return true
	case "no", "false":
		return false
	}
	if ok || !isNull(n) {
		d.errorf(n, field, "want yes or no, got %s", describe(n))
	}
	return false
}

// globs reads a list of file globs (a single string is accepted too).
func (d *bsDecoder) globs(n ast.Node, field string) []string {
	var out []string
	if s, ok := scalar(d.t.deref(n)); ok {
		d.pos[field] = lineOf(n)
		out = []string{s}
	} else {
		out = d.strList(n, field)
	}
	for i, g := range out {
		if !doublestar.ValidatePattern(g) {
			d.probs.add(d.pos.line(index(field, i)), index(field, i), "bad glob %q (check its brackets, braces and backslashes)", g)
		}
	}
	return out
}
