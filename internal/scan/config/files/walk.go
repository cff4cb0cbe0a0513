package files

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// maxListed caps the failures a tree-walking check lists one by one; the
// rest are counted in one more result.
const maxListed = 20

// virtualDirs are mount points of kernel filesystems: whatever an image
// holds there is hidden at run time.
var virtualDirs = []string{"proc", "sys", "dev"}

// scratchDirs are meant to be writable by everyone.
var scratchDirs = []string{"tmp", "var/tmp", "run", "var/run", "var/lock", "dev/shm"}

// under reports whether p is dir or inside it.
func under(p string, dirs ...string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// failList collects failures, listing the first maxListed.
type failList struct {
	out   []config.Result
	fails int
}

func (l *failList) add(path, msg string) {
	l.fails++
	switch {
	case l.fails <= maxListed:
		l.out = append(l.out, config.Result{Status: config.Fail, Path: path, Message: msg})
	case l.fails == maxListed+1:
		l.out = append(l.out, config.Result{Status: config.Fail, Path: path})
	}
}

// results closes the list: the overflow result gets its count, and a list
// without failures becomes one Pass saying pass.
func (l *failList) results(pass string) []config.Result {
	if l.fails > maxListed {
		last := &l.out[len(l.out)-1]
		last.Message = fmt.Sprintf("and %d more (%s first)", l.fails-maxListed, last.Path)
	}
	if l.fails == 0 {
		return append(l.out, config.Result{Status: config.Pass, Message: pass})
	}
	return l.out
}

// walk calls fn on every entry outside the virtual filesystems, checking
// ctx now and then; it reports how many entries it visited.
func walk(ctx context.Context, r rootfs.Root, fn func(e rootfs.Entry)) (int, error) {
	n := 0
	for i, e := range r.Entries() {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if under(e.Path, virtualDirs...) {
			continue
		}
		n++
		fn(e)
	}
	return n, nil
}

func worldWritableCheck() config.Check {
	return config.Check{
		ID:       "files-world-writable",
		Title:    "No regular file is writable by every user",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"file metadata of the whole tree, except /proc, /sys, /dev, /tmp, /var/tmp, /run, /var/lock"},
		Rationale: "A file any user can write is a file any user can change: a script root runs, a configuration " +
			"a daemon trusts, a log an auditor reads. Medium rather than high because the harm depends on who " +
			"reads or runs the file; a world-writable system directory is caught at high by files-system-dirs.",
		Remediation: "chmod o-w each listed file (and fix the build step that created it with a loose umask).",
		References:  []string{"CIS Distribution Independent Linux Benchmark: Ensure no world writable files exist", "chmod(1)"},
		Run:         runWorldWritable,
	}
}

func runWorldWritable(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
	var l failList
	files := 0
	_, err := walk(ctx, r, func(e rootfs.Entry) {
		if !e.Mode.IsRegular() || under(e.Path, scratchDirs...) {
			return
		}
		files++
		if e.Mode&0o002 != 0 {
			l.add(e.Path, fmt.Sprintf("%s %04o %d:%d is writable by every user", e.Path, octal(e.Mode), e.UID, e.GID))
		}
	})
	if err != nil {
		return nil, err
	}
	if files == 0 {
		return notApplicable("no regular files"), nil
	}
	return l.results(fmt.Sprintf("none of %d regular files is world-writable", files)), nil
}

func stickyDirsCheck() config.Check {
	return config.Check{
		ID:       "files-sticky-dirs",
		Title:    "Every world-writable directory has the sticky bit",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"file metadata of the whole tree, except /proc, /sys, /dev"},
		Rationale: "In a world-writable directory without the sticky bit any user may delete or rename any other " +
			"user's files, which turns shared directories such as /tmp into a way to replace files other users " +
			"and daemons are about to open.",
		Remediation: "chmod +t each listed directory (chmod 1777 /tmp /var/tmp), or chmod o-w it if it need not be shared.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure sticky bit is set on all world-writable directories",
			"chmod(1): RESTRICTED DELETION FLAG OR STICKY BIT"},
		Run: runStickyDirs,
	}
}

func runStickyDirs(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
	var l failList
	shared := 0
	_, err := walk(ctx, r, func(e rootfs.Entry) {
		if !e.Mode.IsDir() || e.Mode&0o002 == 0 {
			return
		}
		shared++
		if e.Mode&fs.ModeSticky == 0 {
			l.add(e.Path, fmt.Sprintf("%s %04o is world-writable without the sticky bit", e.Path, octal(e.Mode)))
		}
	})
	if err != nil {
		return nil, err
	}
	if shared == 0 {
		return notApplicable("no world-writable directories"), nil
	}
	return l.results(fmt.Sprintf("all %d world-writable directories have the sticky bit", shared)), nil
}

func unownedCheck() config.Check {
	return config.Check{
		ID:       "files-unowned",
		Title:    "Every file has an owner and a group listed in /etc/passwd and /etc/group",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/passwd", "etc/group", "file metadata of the whole tree, except /proc, /sys, /dev"},
		Rationale: "A file owned by a user or group ID nobody has is left over from a removed account or copied " +
			"in with a build machine's IDs. The next account created with that ID owns it. Low: harm needs a " +
			"later account, but the file shows a build that does not control ownership.",
		Remediation: "chown each listed file to an existing owner and group (root:root for system files), " +
			"e.g. COPY --chown in a Dockerfile or tar --owner=0 --group=0 when packing.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure no unowned files or directories exist",
			"CIS Distribution Independent Linux Benchmark: Ensure no ungrouped files or directories exist"},
		Run: runUnowned,
	}
}

func runUnowned(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	if !db.havePasswd || !db.haveGroup {
		return notApplicable("no etc/passwd or etc/group to name owners"), nil
	}
	uids, gids := map[int]bool{}, map[int]bool{}
	for _, u := range db.users {
		uids[u.UID] = true
	}
	for _, g := range db.groups {
		gids[g.GID] = true
	}
	var l failList
	n, err := walk(ctx, r, func(e rootfs.Entry) {
		switch {
		case !uids[e.UID] && !gids[e.GID]:
			l.add(e.Path, fmt.Sprintf("%s has no owner (uid %d) and no group (gid %d)", e.Path, e.UID, e.GID))
		case !uids[e.UID]:
			l.add(e.Path, fmt.Sprintf("%s has no owner: uid %d is not in etc/passwd", e.Path, e.UID))
		case !gids[e.GID]:
			l.add(e.Path, fmt.Sprintf("%s has no group: gid %d is not in etc/group", e.Path, e.GID))
		}
	})
	if err != nil {
		return nil, err
	}
	return l.results(fmt.Sprintf("all %d files have a known owner and group", n)), nil
}
