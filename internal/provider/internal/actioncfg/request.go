package actioncfg

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Artifact is one named artifact directory of a request.
type Artifact struct {
	Name string
	Dir  string
}

// Inputs returns the request's input artifacts in the order the action
// lists them (names missing from the action follow, sorted).
func Inputs(req *pipeline.ActionRequest) []Artifact {
	return ordered(req.Action.Inputs, req.Inputs)
}

// Outputs returns the request's output artifacts in the order the action
// lists them (names missing from the action follow, sorted).
func Outputs(req *pipeline.ActionRequest) []Artifact {
	return ordered(req.Action.Outputs, req.Outputs)
}

func ordered(names []string, dirs map[string]string) []Artifact {
	seen := make(map[string]bool, len(dirs))
	var out []Artifact
	for _, n := range names {
		if d, ok := dirs[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, Artifact{Name: n, Dir: d})
		}
	}
	var rest []string
	for n := range dirs {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, Artifact{Name: n, Dir: dirs[n]})
	}
	return out
}

// Primary returns the input artifact named by name, or the first input
// when name is empty; ok is false when there is none. An unknown name is
// an error wrapping pipeline.ErrInvalid.
func Primary(req *pipeline.ActionRequest, name string) (a Artifact, ok bool, err error) {
	in := Inputs(req)
	if name == "" {
		if len(in) == 0 {
			return Artifact{}, false, nil
		}
		return in[0], true, nil
	}
	for _, a := range in {
		if a.Name == name {
			return a, true, nil
		}
	}
	return Artifact{}, false, fmt.Errorf("%w config: %q is not an input artifact of the action", pipeline.ErrInvalid, name)
}

// EnvName returns s with every character that cannot appear in an
// environment variable name replaced by an underscore.
func EnvName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// LocalPath joins base and rel, a relative path that must stay inside
// base (no absolute path, no ".." escaping it); field names the key for
// the error, which wraps pipeline.ErrInvalid.
func LocalPath(base, rel, field string) (string, error) {
	if rel == "" || rel == "." {
		return base, nil
	}
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("%w config: %s: %q must be a relative path inside the directory", pipeline.ErrInvalid, field, rel)
	}
	return filepath.Join(base, filepath.FromSlash(rel)), nil
}
