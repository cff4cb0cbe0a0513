package dockerfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// maxSize bounds the Dockerfiles read; anything larger is not one.
const maxSize = 4 << 20

// notDockerfile lists suffixes of files named like Dockerfiles that are
// something else: BuildKit's per-Dockerfile ignore files, documents,
// patches, backups, archives and templates that render a Dockerfile.
var notDockerfile = []string{
	".dockerignore", ".md", ".txt", ".rst", ".orig", ".rej", ".bak", ".swp", ".patch", ".diff",
	".tar", ".gz", ".tgz", ".zip", ".json", ".yaml", ".yml", ".sh", ".lock", ".sum",
	".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".erb", ".mustache", ".hbs",
}

// skipDirs are directories whose contents are not the project's own.
var skipDirs = map[string]bool{".git": true, "node_modules": true}

// isDockerfile reports whether the root-relative path names a Dockerfile.
func isDockerfile(p string) bool {
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if skipDirs[path.Base(dir)] {
			return false
		}
	}
	base := path.Base(p)
	lower := strings.ToLower(base)
	for _, s := range notDockerfile {
		if strings.HasSuffix(lower, s) {
			return false
		}
	}
	switch {
	case base == "Dockerfile" || base == "Containerfile" || lower == "dockerfile":
		return true
	case strings.HasPrefix(base, "Dockerfile.") || strings.HasPrefix(base, "Containerfile."):
		return true
	case strings.HasSuffix(lower, ".dockerfile") && len(base) > len(".dockerfile"):
		return true
	}
	return false
}

// loaded is what a source tree holds: the Dockerfiles that parsed, which
// every check judges, and the outcome of parsing each candidate file in
// path order, which only dockerfile-parse reports: Pass for a Dockerfile,
// Fail for one that does not parse, NotApplicable for a template skipped.
type loaded struct {
	files  []*file
	parsed []config.Result
}

// source is a candidate file: its path and contents.
type source struct {
	path string
	data []byte
}

// readSources reads the files of r named like Dockerfiles, in path order,
// and returns them with a hash of their paths and contents.
func readSources(ctx context.Context, r rootfs.Root) ([]source, [sha256.Size]byte, error) {
	var out []source
	h := sha256.New()
	for _, e := range r.Entries() {
		if !e.Mode.IsRegular() || e.Size > maxSize || !isDockerfile(e.Path) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, [sha256.Size]byte{}, err
		}
		data, err := r.ReadFile(e.Path)
		if err != nil {
			return nil, [sha256.Size]byte{}, fmt.Errorf("read %s: %w", e.Path, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Path, len(data))
		h.Write(data)
		out = append(out, source{path: e.Path, data: data})
	}
	return out, [sha256.Size]byte(h.Sum(nil)), nil
}

// parseSources parses the Dockerfiles read. Files without instructions
// are left out. A Dockerfile that does not parse is left out of the
// files and recorded as a failure naming its line, unless it holds
// template markers ({{ or {%), which make it a template to render first:
// it is recorded as skipped. Either way the other Dockerfiles are kept.
func parseSources(srcs []source) *loaded {
	out := &loaded{}
	for _, src := range srcs {
		f, err := parse(src.path, src.data)
		switch {
		case err != nil && (bytes.Contains(src.data, []byte("{{")) || bytes.Contains(src.data, []byte("{%"))):
			out.parsed = append(out.parsed, config.Result{Status: config.NotApplicable, Path: src.path,
				Message: "skipped: a template that is not a Dockerfile until rendered (" + problem(err) + ")"})
		case err != nil:
			out.parsed = append(out.parsed, unparsed(src.path, err))
		case len(f.stages) > 0:
			out.files = append(out.files, f)
			out.parsed = append(out.parsed, config.Result{Status: config.Pass, Path: src.path, Message: parsesMessage(f)})
		}
	}
	return out
}

// parsesMessage says what a Dockerfile that parsed holds.
func parsesMessage(f *file) string {
	if len(f.stages) == 1 {
		return "parses: 1 build stage"
	}
	return fmt.Sprintf("parses: %d build stages", len(f.stages))
}

// unparsed is the failure of the Dockerfile at p to parse.
func unparsed(p string, err error) config.Result {
	r := config.Result{Status: config.Fail, Path: p, Message: "cannot parse: " + err.Error()}
	var se *syntaxError
	if errors.As(err, &se) {
		r.Line, r.Message = se.line, "cannot parse: "+se.msg
	}
	return r
}

// problem describes a parse error without the path, which the result
// carries: "line 3: Syntax error …".
func problem(err error) string {
	var se *syntaxError
	switch {
	case !errors.As(err, &se):
		return err.Error()
	case se.line > 0:
		return fmt.Sprintf("line %d: %s", se.line, se.msg)
	}
	return se.msg
}

// cache remembers the last source tree the checks of one Checks() list
// loaded, so that running them all parses each Dockerfile once. A tree is
// the same when its Dockerfiles have the same paths and contents. The
// cache keeps parsed files, never the Root, and only the last tree. It is
// safe for concurrent use; what it returns is never modified.
type cache struct {
	mu   sync.Mutex
	key  [sha256.Size]byte
	last *loaded
}

// load finds and parses every Dockerfile of r (see parseSources).
func (c *cache) load(ctx context.Context, r rootfs.Root) (*loaded, error) {
	srcs, key, err := readSources(ctx, r)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && c.key == key {
		return c.last, nil
	}
	l := parseSources(srcs)
	c.key, c.last = key, l
	return l, nil
}
