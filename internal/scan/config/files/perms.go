package files

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// octal returns the permission and special bits of m as chmod(1) spells
// them: 04755 for a setuid program, 01777 for /tmp.
func octal(m fs.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}

// limit is what a file's metadata may be: no permission bit outside max,
// owned by uid 0, and group-owned by one of gids (root's group when empty).
type limit struct {
	max  uint32
	gids []int
	// gidNames names gids for messages, e.g. "root or shadow".
	gidNames string
}

// rootOnly is a limit owned by root:root.
func rootOnly(max uint32) limit { return limit{max: max, gids: []int{0}, gidNames: "root"} }

// rootOr allows root's group or the named group of db (when it exists).
func rootOr(max uint32, db *accounts, group string) limit {
	l := rootOnly(max)
	if gid, ok := db.gid(group); ok && gid != 0 {
		l.gids = append(l.gids, gid)
		l.gidNames = "root or " + group
	}
	return l
}

// judge holds e to l and returns one result naming e's path.
func judge(e rootfs.Entry, l limit) config.Result {
	var problems []string
	if extra := octal(e.Mode) &^ l.max; extra != 0 {
		problems = append(problems, fmt.Sprintf("mode %04o, want %04o or stricter", octal(e.Mode), l.max))
	}
	if e.UID != 0 {
		problems = append(problems, fmt.Sprintf("owner uid %d, want root", e.UID))
	}
	if !contains(l.gids, e.GID) {
		problems = append(problems, fmt.Sprintf("group gid %d, want %s", e.GID, l.gidNames))
	}
	if len(problems) > 0 {
		return config.Result{Status: config.Fail, Path: e.Path, Message: e.Path + " " + strings.Join(problems, "; ")}
	}
	return config.Result{Status: config.Pass, Path: e.Path, Message: fmt.Sprintf("%s %04o %d:%d", e.Path, octal(e.Mode), e.UID, e.GID)}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// lookupFile returns the entry p resolves to, following symlinks inside
// the root, when that is a regular file.
func lookupFile(r rootfs.Root, p string) (rootfs.Entry, bool) {
	e, ok := resolved(r, p)
	return e, ok && e.Mode.IsRegular()
}

// lookupDir returns the entry p resolves to when that is a directory.
func lookupDir(r rootfs.Root, p string) (rootfs.Entry, bool) {
	e, ok := resolved(r, p)
	return e, ok && e.Mode.IsDir()
}

func resolved(r rootfs.Root, p string) (rootfs.Entry, bool) {
	real, err := rootfs.Resolve(r, p)
	if err != nil {
		return rootfs.Entry{}, false
	}
	return r.Lookup(real)
}

// present reports whether any of paths resolves to an existing entry.
func present(r rootfs.Root, paths ...string) bool {
	for _, p := range paths {
		if _, ok := resolved(r, p); ok {
			return true
		}
	}
	return false
}

// listed is a file found in a directory: its name there and the entry it
// resolves to (the same unless the name is a symlink).
type listed struct {
	name string
	rootfs.Entry
}

// shown names a listed file for messages: "etc/cron.daily/app ->
// opt/app/nightly.sh" for a symlink.
func (f listed) shown() string {
	if f.name == f.Path {
		return f.Path
	}
	return f.name + " -> " + f.Path
}

// filesUnder returns the regular files directly inside dir, following a
// symlinked dir and symlinks to files.
func filesUnder(r rootfs.Root, dir string) []listed {
	real, err := rootfs.Resolve(r, dir)
	if err != nil {
		return nil
	}
	var out []listed
	for _, e := range rootfs.Dir(r, real) {
		name := e.Path
		if e.Mode&fs.ModeSymlink != 0 {
			t, ok := lookupFile(r, e.Path)
			if !ok {
				continue
			}
			e = t
		}
		if e.Mode.IsRegular() {
			out = append(out, listed{name: name, Entry: e})
		}
	}
	return out
}

// notApplicable is the single result of a check with nothing to look at.
func notApplicable(msg string) []config.Result {
	return []config.Result{{Status: config.NotApplicable, Message: msg}}
}
