package files

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// systemDirs are the directories whose contents the system runs or trusts.
// usr/local is left out: Debian policy lets it be group-writable by staff.
// var/log is left out: Ubuntu makes it group-writable by syslog.
var systemDirs = []string{
	"", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
	"usr", "usr/bin", "usr/sbin", "usr/lib", "usr/lib32", "usr/lib64", "usr/libx32", "usr/libexec", "usr/share",
	"etc", "boot", "var", "var/lib", "opt",
}

func systemDirsCheck() config.Check {
	return config.Check{
		ID:       "files-system-dirs",
		Title:    "System directories are owned by root and not writable by group or others",
		Group:    Group,
		Severity: pipeline.SeverityHigh,
		Target:   config.TargetRootFS,
		Reads:    []string{"file metadata of /, /bin, /sbin, /lib*, /usr/*, /etc, /boot, /var, /var/lib, /opt"},
		Rationale: "Whoever can write to a directory such as /usr/bin or /etc can replace or add the programs and " +
			"configuration that root runs, which is root access. These directories must be owned by root and " +
			"writable by root alone; a symlinked directory (bin -> usr/bin on merged-/usr systems) is judged by " +
			"its target. High: a single such directory hands the system to any local user or group member.",
		Remediation: "chown root:root the directory and chmod go-w it (0755 is the usual mode), then find out which " +
			"build step or package changed it.",
		References: []string{
			"CIS Distribution Independent Linux Benchmark: System File Permissions",
			"Filesystem Hierarchy Standard 3.0",
			"https://wiki.debian.org/UsrMerge",
		},
		Run: runSystemDirs,
	}
}

func runSystemDirs(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	seen := map[string]bool{}
	for _, d := range systemDirs {
		real := d
		if d != "" {
			var err error
			if real, err = rootfs.Resolve(r, d); err != nil {
				continue
			}
		}
		e, ok := r.Lookup(real)
		if !ok || !e.Mode.IsDir() || seen[real] {
			continue
		}
		seen[real] = true
		out = append(out, judgeDir(d, e))
	}
	if len(out) == 0 {
		return notApplicable("none of the system directories is in the image"), nil
	}
	return out, nil
}

// judgeDir holds a system directory to root ownership and mode go-w.
func judgeDir(name string, e rootfs.Entry) config.Result {
	shown := "/" + e.Path
	if name != e.Path {
		shown = fmt.Sprintf("/%s -> /%s", name, e.Path)
	}
	path := e.Path
	if path == "" {
		path = "."
	}
	res := config.Result{Status: config.Pass, Path: path,
		Message: fmt.Sprintf("%s %04o %d:%d", shown, octal(e.Mode), e.UID, e.GID)}
	switch {
	case e.Mode&0o002 != 0:
		res.Status, res.Message = config.Fail, res.Message+": writable by others"
	case e.Mode&0o020 != 0:
		res.Status, res.Message = config.Fail, res.Message+fmt.Sprintf(": writable by group %d", e.GID)
	case e.UID != 0:
		res.Status, res.Message = config.Fail, res.Message+fmt.Sprintf(": owned by uid %d, not root", e.UID)
	}
	return res
}
