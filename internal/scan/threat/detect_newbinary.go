package threat

import (
	"path"
	"strings"
)

// newBinaryDetector reports executions of paths a file event of the log
// wrote, created, chmodded or renamed to before, and, when Config.Manifest
// is given, executions of paths not in it. It remembers at most MaxKeys
// written paths.
type newBinaryDetector struct {
	written  map[string]bool
	manifest map[string]bool
	maxKeys  int
}

func newNewBinaryDetector(cfg Config) *newBinaryDetector {
	return &newBinaryDetector{written: make(map[string]bool), manifest: cfg.Manifest, maxKeys: cfg.MaxKeys}
}

func (d *newBinaryDetector) observe(e *Event, rep *reporter) {
	switch e.Type {
	case EventFile:
		p := absPath(e.Path, e.Cwd)
		if p == "" {
			return
		}
		if e.Op == OpDelete {
			delete(d.written, p)
		} else if len(d.written) < d.maxKeys {
			d.written[p] = true
		}
	case EventExec:
		p := execPath(e)
		if p == "" {
			return
		}
		switch {
		case d.written[p]:
			rep.add(e, report{typ: TypeNewBinary, artifact: p, path: p,
				what: "exec " + p + ", written during the run", evidence: commandLine(e.Argv)})
		case d.manifest != nil && !d.manifest[p]:
			rep.add(e, report{typ: TypeNewBinary, artifact: p, path: p,
				what: "exec " + p + ", not in the image", evidence: commandLine(e.Argv)})
		}
	}
}

// execPath is the executable an exec event ran: Exe, else an absolute or
// relative argv[0] resolved against Cwd.
func execPath(e *Event) string {
	if e.Exe != "" {
		return absPath(e.Exe, e.Cwd)
	}
	if len(e.Argv) > 0 && strings.Contains(e.Argv[0], "/") {
		return absPath(e.Argv[0], e.Cwd)
	}
	return ""
}

// absPath cleans p, resolving a relative p against cwd; it returns "" when
// p is relative and cwd unknown.
func absPath(p, cwd string) string {
	switch {
	case p == "":
		return ""
	case p[0] == '/':
		return path.Clean(p)
	case cwd != "" && cwd[0] == '/':
		return path.Join(cwd, p)
	}
	return ""
}
