package telemetry

import (
	"strings"
)

// quietPaths are written by ordinary shell redirections and say nothing
// about what a program changes.
var quietPaths = map[string]bool{"/dev/null": true, "/dev/tty": true, "/dev/zero": true, "/dev/full": true,
	"/dev/stdin": true, "/dev/stdout": true, "/dev/stderr": true, "/dev/console": true}

// file handles open, openat, creat, rename*, chmod, fchmodat, unlink and
// unlinkat: it reports successful changes and remembers opened paths.
func (t *tracker) file(c *call) {
	if !c.hasRet || c.ret < 0 {
		return
	}
	p := t.proc(c.pid)
	var (
		name string
		op   string
	)
	switch c.name {
	case "open", "creat":
		name, op = t.opened(c, p, "AT_FDCWD", 0)
	case "openat":
		if len(c.args) > 0 {
			name, op = t.opened(c, p, c.args[0], 1)
		}
	case "rename":
		name, op = pathArg(p, c.args, "AT_FDCWD", 1), opRename
	case "renameat", "renameat2":
		if len(c.args) >= 4 {
			name, op = pathArg(p, c.args, c.args[2], 3), opRename
		}
	case "chmod":
		name, op = pathArg(p, c.args, "AT_FDCWD", 0), opChmod
	case "fchmodat":
		if len(c.args) >= 2 {
			name, op = pathArg(p, c.args, c.args[0], 1), opChmod
		}
	case "unlink":
		name, op = pathArg(p, c.args, "AT_FDCWD", 0), opDelete
	case "unlinkat":
		if len(c.args) >= 2 {
			name, op = pathArg(p, c.args, c.args[0], 1), opDelete
		}
	}
	if name == "" || op == "" || quiet(name) || !t.reportsFile(name) {
		return
	}
	r := newRecord(typeFile, c.time, c.pid, p)
	r.Op, r.Path = op, name
	t.emit(&r)
}

// opened remembers the path a successful open returned a descriptor for
// and returns it with the change its flags make ("" for a read).
func (t *tracker) opened(c *call, p *proc, dirArg string, pathIdx int) (string, string) {
	name := pathArg(p, c.args, dirArg, pathIdx)
	if name != "" {
		setFD(p, int(c.ret), fdInfo{desc: name})
	} else {
		delete(p.fds, int(c.ret))
	}
	if c.name == "creat" {
		return name, opCreate
	}
	if len(c.args) <= pathIdx+1 {
		return "", ""
	}
	flags := c.args[pathIdx+1]
	switch {
	case strings.Contains(flags, "O_CREAT"):
		return name, opCreate
	case strings.Contains(flags, "O_WRONLY") || strings.Contains(flags, "O_RDWR") || strings.Contains(flags, "O_TRUNC"):
		return name, opWrite
	}
	return "", ""
}

// pathArg returns the absolute path of the path argument args[idx],
// relative to the directory descriptor dirArg ("AT_FDCWD" or a number), or
// "" when that directory is unknown.
func pathArg(p *proc, args []string, dirArg string, idx int) string {
	if idx >= len(args) {
		return ""
	}
	name, ok := unquote(args[idx])
	if !ok {
		return ""
	}
	if strings.HasPrefix(dirArg, "AT_FDCWD") {
		return resolve(p.cwd, name)
	}
	dir := ""
	if fd, ok := fdArg(dirArg); ok {
		if d := p.fds[fd].desc; strings.HasPrefix(d, "/") {
			dir = d
		}
	}
	return resolve(dir, name)
}

// quiet reports paths whose writes are not worth an event.
func quiet(p string) bool {
	return quietPaths[p] || strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/dev/pts/") ||
		strings.HasPrefix(p, "/proc/self/fd/")
}
