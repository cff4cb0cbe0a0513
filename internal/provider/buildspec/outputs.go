package buildspec

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/workspace"
)

// maxReportSize bounds how much of one report file is read.
const maxReportSize = 64 << 20

// finish reads the reports, and for a successful build the exported
// variables and the artifacts, into the action's result.
func (b *build) finish(req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	res := pipeline.ActionResult{Warnings: b.warnings}
	if b.ran {
		var warnings []string
		res.Tests, warnings = b.reports()
		res.Warnings = append(res.Warnings, warnings...)
	}
	if b.failure != "" {
		b.log.Line("build failed: " + b.failure)
		res.State, res.Message = pipeline.ActionFailed, b.failure
		return res, nil
	}
	vars, warnings, err := b.exported()
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	res.OutputVariables = vars
	res.Warnings = append(res.Warnings, warnings...)
	failure, warnings, err := b.artifacts(req)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	res.Warnings = append(res.Warnings, warnings...)
	if failure != "" {
		b.log.Line("build failed: " + failure)
		res.State, res.Message = pipeline.ActionFailed, failure
		return res, nil
	}
	if n := failedTests(res.Tests); n > 0 {
		w := fmt.Sprintf("%d test(s) failed or errored in the reports; the build succeeded, so the action does", n)
		res.Warnings = append(res.Warnings, w)
		b.log.Line("warning: " + w)
	}
	b.log.Line("build succeeded")
	res.State = pipeline.ActionSucceeded
	return res, nil
}

func failedTests(suites []pipeline.TestSuite) int {
	n := 0
	for _, s := range suites {
		n += s.Failures + s.Errors
	}
	return n
}

// exported reads env.exported-variables from the shell after the last
// phase.
func (b *build) exported() (map[string]string, []string, error) {
	names := b.spec.Env.ExportedVariables
	if len(names) == 0 {
		return nil, nil, nil
	}
	if b.sess == nil {
		if err := b.start(); err != nil {
			return nil, nil, err
		}
	}
	vars, err := b.sess.Vars(names)
	if err != nil {
		if b.ctx.Err() != nil {
			return nil, nil, b.ctx.Err()
		}
		return nil, nil, fmt.Errorf("read env.exported-variables: %w", err)
	}
	var warnings []string
	if b.lost {
		w := "a command ended the build shell: exported variables set before it are lost"
		warnings = append(warnings, w)
		b.log.Line("warning: " + w)
	}
	for _, n := range names {
		if _, ok := vars[n]; !ok {
			w := fmt.Sprintf("exported variable %s is not set", n)
			warnings = append(warnings, w)
			b.log.Line("warning: " + w)
		}
	}
	if len(vars) == 0 {
		vars = nil
	}
	return vars, warnings, nil
}

// artifacts copies the files artifacts.files names into the first output
// artifact. It returns a failure message when no file matches, as
// CodeBuild fails such a build.
func (b *build) artifacts(req *pipeline.ActionRequest) (string, []string, error) {
	a := b.spec.Artifacts
	if len(a.Files) == 0 {
		return "", nil, nil
	}
	outs := actioncfg.Outputs(req)
	if len(outs) == 0 {
		w := "artifacts.files is set but the action has no output artifact: nothing is kept"
		b.log.Line("warning: " + w)
		return "", []string{w}, nil
	}
	base, err := actioncfg.LocalPath(b.srcDir, a.BaseDirectory, "artifacts.base-directory")
	if err != nil {
		return "", nil, err
	}
	files, err := match(base, a.Files)
	if err != nil {
		return "", nil, fmt.Errorf("artifacts.files: %w", err)
	}
	if len(files) == 0 {
		return fmt.Sprintf("no matching artifact paths found (artifacts.files %s in %q)", strings.Join(a.Files, ", "), displayDir(a.BaseDirectory)), nil, nil
	}
	var warnings []string
	from := map[string]string{}
	for _, rel := range files {
		dst := rel
		if a.DiscardPaths {
			dst = path.Base(rel)
			if prev, dup := from[dst]; dup {
				w := fmt.Sprintf("artifacts: %s and %s have the same name with discard-paths; %s is kept", prev, rel, rel)
				warnings = append(warnings, w)
				b.log.Line("warning: " + w)
			}
			from[dst] = rel
		}
		if err := workspace.CopyFile(filepath.Join(base, filepath.FromSlash(rel)), filepath.Join(outs[0].Dir, filepath.FromSlash(dst))); err != nil {
			return "", nil, fmt.Errorf("artifacts: %w", err)
		}
	}
	b.log.Line(fmt.Sprintf("artifacts: %d file(s) copied into %s", len(files), outs[0].Name))
	return "", warnings, nil
}

func displayDir(d string) string {
	if d == "" {
		return "."
	}
	return d
}

// reports parses the JUnit XML files of the reports section. Problems with
// a report are warnings: test results never decide the build.
func (b *build) reports() ([]pipeline.TestSuite, []string) {
	var suites []pipeline.TestSuite
	var warnings []string
	warn := func(format string, args ...any) {
		w := fmt.Sprintf(format, args...)
		warnings = append(warnings, w)
		b.log.Line("warning: " + w)
	}
	for _, r := range b.spec.Reports {
		if r.FileFormat != "" && r.FileFormat != "JUNITXML" {
			continue
		}
		base, err := actioncfg.LocalPath(b.srcDir, r.BaseDirectory, "base-directory")
		if err != nil {
			warn("report %s: %v", r.Name, err)
			continue
		}
		files, err := match(base, r.Files)
		if err != nil || len(files) == 0 {
			warn("report %s: no file matches %s in %q", r.Name, strings.Join(r.Files, ", "), displayDir(r.BaseDirectory))
			continue
		}
		for _, rel := range files {
			full := filepath.Join(base, filepath.FromSlash(rel))
			got, err := parseReportFile(full)
			if err != nil {
				warn("report %s: %s: %v", r.Name, rel, err)
				continue
			}
			shown, _ := filepath.Rel(b.srcDir, full)
			for _, s := range got {
				if s.Name == "" {
					s.Name = r.Name
				}
				s.File = filepath.ToSlash(shown)
				b.log.Line(fmt.Sprintf("report %s: %s: %s: %d tests, %d failures, %d errors, %d skipped",
					r.Name, s.File, s.Name, s.Tests, s.Failures, s.Errors, s.Skipped))
				suites = append(suites, s)
			}
		}
	}
	return suites, warnings
}

func parseReportFile(name string) ([]pipeline.TestSuite, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseJUnit(io.LimitReader(f, maxReportSize))
}

// match returns the files (and symbolic links) under base that patterns
// match, as sorted slash-separated relative paths. A pattern without
// wildcards that names a directory stands for every file below it.
// Symbolic links to directories are not followed.
func match(base string, patterns []string) ([]string, error) {
	set := map[string]bool{}
	fsys := os.DirFS(base)
	for _, pat := range patterns {
		pat = strings.TrimPrefix(pat, "./")
		if !strings.ContainsAny(pat, "*?[{\\") {
			if info, err := os.Lstat(filepath.Join(base, filepath.FromSlash(pat))); err == nil && info.IsDir() {
				if err := walkFiles(fsys, path.Clean(pat), set); err != nil {
					return nil, err
				}
				continue
			}
		}
		matches, err := doublestar.Glob(fsys, pat, doublestar.WithFilesOnly(), doublestar.WithNoFollow())
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pat, err)
		}
		for _, m := range matches {
			set[m] = true
		}
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out, nil
}

// walkFiles adds every non-directory entry below dir.
func walkFiles(fsys fs.FS, dir string, set map[string]bool) error {
	return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			set[p] = true
		}
		return nil
	})
}
