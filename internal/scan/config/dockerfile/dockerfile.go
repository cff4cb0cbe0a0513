// Package dockerfile checks the Dockerfiles of a source tree against
// container image best practices: who the image runs as, how base images
// are pinned, what ADD fetches, which secrets ENV and ARG bake into the
// image, how packages are installed, and what the image exposes.
//
// Dockerfiles are the files named Dockerfile, Dockerfile.*, *.Dockerfile,
// *.dockerfile and Containerfile anywhere in the tree (outside .git and
// node_modules), parsed with BuildKit's own parser. A Dockerfile that does
// not parse fails dockerfile-parse, once, naming the file and line, and
// the other checks judge the Dockerfiles that did parse; a template
// ({{ }} or {% %}) is no failure: dockerfile-parse notes it as
// NotApplicable and the other checks skip it. RUN
// commands are split into simple commands by a small shell reader that
// understands quoting, operators, redirections, here-documents and
// `sh -c`, but expands nothing.
package dockerfile

import (
	"context"
	"slices"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// group is the Group of every check here.
const group = "dockerfile"

// Checks returns the Dockerfile checks, in catalogue order.
//
// The checks of one list share a cache of the last source tree they
// loaded, so running them all over a tree parses each Dockerfile once;
// lists from separate calls share nothing.
func Checks() []config.Check {
	c := &cache{}
	out := []config.Check{parseCheck(c)}
	out = append(out, stageChecks(c)...)
	out = append(out, fileChecks(c)...)
	out = append(out, packageChecks(c)...)
	out = append(out, runChecks(c)...)
	return out
}

// reads lists the files every check here reads.
func reads(extra ...string) []string {
	return append([]string{"Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*"}, extra...)
}

// refs builds the references of a check: the Dockerfile reference and
// the build best-practices guide, then any others.
func refs(extra ...string) []string {
	return append([]string{
		"https://docs.docker.com/reference/dockerfile/",
		"https://docs.docker.com/build/building/best-practices/",
	}, extra...)
}

// check fills in what every Dockerfile check shares.
func check(id, title string, sev pipeline.Severity, rationale, remediation string, run func(context.Context, rootfs.Root) ([]config.Result, error)) config.Check {
	return config.Check{
		ID:          id,
		Title:       title,
		Group:       group,
		Severity:    sev,
		Target:      config.TargetSource,
		Reads:       reads(),
		Rationale:   rationale,
		Remediation: remediation,
		References:  refs(),
		Run:         run,
	}
}

// cis adds a section of the CIS Docker Benchmark to a check's references.
func cis(c config.Check, section string) config.Check {
	c.References = append(c.References, "CIS Docker Benchmark: "+section)
	return c
}

// parseCheck reports, once per scan, how each Dockerfile parsed: the
// other checks skip the files that did not.
func parseCheck(c *cache) config.Check {
	pc := check("dockerfile-parse", "Dockerfiles parse", pipeline.SeverityMedium,
		"A Dockerfile that does not parse cannot be built as written, and no other check can judge it: whatever it would put in an image goes unchecked.",
		"Fix the instruction at the line named (docker build --check reports the same parser's errors). A template that renders a Dockerfile is skipped when it holds its {{ }} or {% %} markers; name it *.tmpl or *.j2 to make that plain.",
		func(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
			l, err := c.load(ctx, r)
			if err != nil {
				return nil, err
			}
			if len(l.parsed) == 0 {
				return []config.Result{{Status: config.NotApplicable, Message: "no Dockerfile"}}, nil
			}
			return slices.Clone(l.parsed), nil
		})
	pc.References = refs("https://docs.docker.com/reference/build-checks/")
	return pc
}

// perFile adapts a judgement of one Dockerfile to Check.Run: it loads
// every Dockerfile of the root and judges those that parsed (templates
// and broken files are dockerfile-parse's business), and returns one
// NotApplicable result when there is none. The judgement sees the root
// for neighbouring files.
func perFile(c *cache, judge func(r rootfs.Root, f *file) []config.Result) func(context.Context, rootfs.Root) ([]config.Result, error) {
	return func(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
		l, err := c.load(ctx, r)
		if err != nil {
			return nil, err
		}
		var out []config.Result
		for _, f := range l.files {
			out = append(out, judge(r, f)...)
		}
		if len(out) == 0 {
			out = append(out, config.Result{Status: config.NotApplicable, Message: "no Dockerfile"})
		}
		return out, nil
	}
}

// judgeFunc decides one instruction: it returns 0 when the instruction
// is not the check's business, else a status and a message.
type judgeFunc func(f *file, st *stage, in *instr) (config.Status, string)

// perInstr adapts a judgement of single instructions to Check.Run: one
// result per instruction the judgement decides, or one NotApplicable per
// Dockerfile saying absent when it decides none.
func perInstr(c *cache, absent string, judge judgeFunc) func(context.Context, rootfs.Root) ([]config.Result, error) {
	return perFile(c, func(_ rootfs.Root, f *file) []config.Result {
		var out []config.Result
		for _, st := range f.stages {
			for _, in := range append([]*instr{st.from}, st.instrs...) {
				if s, msg := judge(f, st, in); s != 0 {
					out = append(out, result(s, f, in, msg))
				}
			}
		}
		if len(out) == 0 {
			out = append(out, config.Result{Status: config.NotApplicable, Path: f.path, Message: absent})
		}
		return out
	})
}

// result builds a Result located at in.
func result(s config.Status, f *file, in *instr, msg string) config.Result {
	return config.Result{Status: s, Path: f.path, Line: in.line, Message: msg}
}
