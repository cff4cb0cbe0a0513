package spec

import (
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

var phaseFields = []string{"run-as", "on-failure", "runtime-versions", "commands", "finally"}

// retryRE matches CodeBuild's retrying on-failure values: RETRY,
// RETRY-3, RETRY-regex, RETRY-3-regex.
var retryRE = regexp.MustCompile(`^RETRY(-.*)?$`)

// phases reads the phases section and returns the phases in run order.
func (d *bsDecoder) phases(n ast.Node, where string) []Phase {
	n = d.t.deref(n)
	if isNull(n) {
		return nil
	}
	byName := map[string]Phase{}
	d.fields(where, n, phaseNames, func(key, field string, v ast.Node) {
		byName[key] = d.phase(key, v, field)
	})
	var out []Phase
	for _, name := range phaseNames {
		if p, ok := byName[name]; ok {
			out = append(out, p)
		}
	}
	return out
}

// phase reads one phase.
func (d *bsDecoder) phase(name string, n ast.Node, where string) Phase {
	p := Phase{Name: name}
	if isNull(d.t.deref(n)) {
		return p
	}
	d.fields(where, n, phaseFields, func(key, field string, v ast.Node) {
		switch key {
		case "run-as":
			d.ignored(v, field, "commands run as the current user")
		case "on-failure":
			p.OnFailure = d.onFailure(v, field)
		case "runtime-versions":
			if name != "install" {
				d.errorf(v, field, "only the install phase has runtime-versions")
				return
			}
			d.ignored(v, field, "runtime-versions selects CodeBuild images' runtimes ("+d.keyList(v)+"); the tools installed locally are used")
		case "commands":
			p.Commands = d.commands(v, field)
		case "finally":
			p.Finally = d.commands(v, field)
		}
	})
	return p
}

func (d *bsDecoder) onFailure(n ast.Node, field string) string {
	s, ok := d.str(n, field)
	if !ok {
		return "ABORT"
	}
	switch up := strings.ToUpper(s); {
	case up == "ABORT" || up == "CONTINUE":
		return up
	case retryRE.MatchString(up):
		d.warnf(n, field, "%s is not supported locally: treated as ABORT (use the action's retries instead)", s)
		return "ABORT"
	}
	d.errorf(n, field, "unknown value %q (want ABORT or CONTINUE)", s)
	return "ABORT"
}

// commands reads a list of shell commands, each as written.
func (d *bsDecoder) commands(n ast.Node, field string) []string {
	return d.strList(n, field)
}

var artifactFields = []string{"files", "name", "discard-paths", "base-directory", "exclude-paths",
	"enable-symlinks", "s3-prefix", "secondary-artifacts"}

func (d *bsDecoder) artifacts(n ast.Node, where string) BuildspecArtifacts {
	var a BuildspecArtifacts
	if isNull(d.t.deref(n)) {
		return a
	}
	seen := false
	ok := d.fields(where, n, artifactFields, func(key, field string, v ast.Node) {
		switch key {
		case "files":
			seen = true
			a.Files = d.globs(v, field)
		case "name":
			a.Name, _ = d.str(v, field)
		case "discard-paths":
			a.DiscardPaths = d.flag(v, field)
		case "base-directory":
			a.BaseDirectory = d.relPath(v, field)
		case "exclude-paths":
			d.ignored(v, field, "exclude-paths is not supported (narrow files instead)")
		case "enable-symlinks":
			d.ignored(v, field, "symbolic links are copied as they are")
		case "s3-prefix":
			d.ignored(v, field, "artifacts go to the local artifact store, not S3")
		case "secondary-artifacts":
			d.ignored(v, field, "secondary artifacts are not supported (the action's first output gets artifacts.files)")
		}
	})
	if ok && !seen {
		d.errorf(n, join(where, "files"), "missing (list the files to keep, \"**/*\" for all)")
	}
	return a
}

// relPath reads a directory relative to the source directory.
func (d *bsDecoder) relPath(n ast.Node, field string) string {
	s, ok := d.str(n, field)
	if !ok || s == "" {
		return s
	}
	clean := strings.TrimPrefix(s, "./")
	if strings.HasPrefix(clean, "/") || slices.Contains(strings.Split(clean, "/"), "..") {
		d.errorf(n, field, "%q must stay inside the source directory", s)
	}
	return s
}

var reportFields = []string{"files", "base-directory", "discard-paths", "file-format"}

// reportFormats are CodeBuild's report formats; only JUNITXML is parsed.
var reportFormats = []string{"JUNITXML", "CUCUMBERJSON", "NUNITXML", "NUNIT3XML", "TESTNGXML",
	"VISUALSTUDIOTRX", "CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"}

// reports reads the reports section, a mapping name → report.
func (d *bsDecoder) reports(n ast.Node, where string) []Report {
	n = d.t.deref(n)
	if isNull(n) {
		return nil
	}
	pairs, ok := mappingPairs(n)
	if !ok {
		d.errorf(n, where, "want a mapping of report names to reports, got %s", kindOf(n))
		return nil
	}
	var out []Report
	seen := map[string]int{}
	for _, kv := range pairs {
		name := keyText(kv.Key)
		field := join(where, name)
		if line, dup := seen[name]; dup {
			d.errorf(kv.Key, field, "repeated report (first at line %d)", line)
			continue
		}
		seen[name] = lineOf(kv.Key)
		d.pos[field] = lineOf(kv.Key)
		out = append(out, d.report(name, kv.Value, field))
	}
	return out
}

func (d *bsDecoder) report(name string, n ast.Node, where string) Report {
	r := Report{Name: name, FileFormat: "JUNITXML"}
	hasFiles := false
	ok := d.fields(where, n, reportFields, func(key, field string, v ast.Node) {
		switch key {
		case "files":
			hasFiles = true
			r.Files = d.globs(v, field)
		case "base-directory":
			r.BaseDirectory = d.relPath(v, field)
		case "discard-paths":
			if d.flag(v, field) {
				d.ignored(v, field, "report files keep their paths")
			}
		case "file-format":
			r.FileFormat = d.reportFormat(v, field)
		}
	})
	if ok && !hasFiles {
		d.errorf(n, join(where, "files"), "missing (list the report files)")
	}
	return r
}

func (d *bsDecoder) reportFormat(n ast.Node, field string) string {
	s, ok := d.str(n, field)
	if !ok {
		return "JUNITXML"
	}
	up := strings.ToUpper(s)
	switch {
	case up == "JUNITXML":
	case slices.Contains(reportFormats, up):
		d.warnf(n, field, "%s reports are kept but not parsed (only JUNITXML becomes test results)", up)
	default:
		d.errorf(n, field, "unknown report format %q%s", s, suggest(up, reportFormats))
		return "JUNITXML"
	}
	return up
}
