package files

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// home is an account's home directory as found in the root.
type home struct {
	user account
	dir  rootfs.Entry
}

// homes returns the existing home directories of root (when withRoot) and
// of the interactive accounts, each once.
func homes(r rootfs.Root, db *accounts, withRoot bool) []home {
	users := db.interactive()
	if withRoot {
		if u, ok := db.user("root"); ok {
			users = append([]account{u}, users...)
		}
	}
	var out []home
	seen := map[string]bool{}
	for _, u := range users {
		p := strings.Trim(path.Clean("/"+u.Home), "/")
		if p == "" {
			continue
		}
		e, ok := lookupDir(r, p)
		if !ok || seen[e.Path] {
			continue
		}
		seen[e.Path] = true
		out = append(out, home{user: u, dir: e})
	}
	return out
}

var homeReferences = []string{
	"CIS Distribution Independent Linux Benchmark: Ensure local interactive user home directories are configured",
	"CIS Distribution Independent Linux Benchmark: Ensure local interactive user dot files access is configured",
}

func homePermsCheck() config.Check {
	return config.Check{
		ID:       "files-home-perms",
		Title:    "Home directories belong to their user and are not writable by group or others",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/passwd", "metadata of the home directories of accounts with UID >= 1000 and a login shell"},
		Rationale: "Whoever can write to a user's home can plant .bashrc, .profile or .ssh/authorized_keys and " +
			"run code as that user at the next login. A home owned by someone else is theirs to change.",
		Remediation: "chown USER: /home/USER && chmod 0750 /home/USER (0700 where no group needs to read it).",
		References:  homeReferences,
		Run:         runHomePerms,
	}
}

func runHomePerms(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	for _, h := range homes(r, db, false) {
		out = append(out, judgeOwned(h.dir, h.user, "home of "+h.user.Name))
	}
	if len(out) == 0 {
		return notApplicable("no interactive account has a home directory in the image"), nil
	}
	return out, nil
}

// judgeOwned holds e to ownership by u (or root) and no write for group
// or others.
func judgeOwned(e rootfs.Entry, u account, what string) config.Result {
	desc := fmt.Sprintf("%s %04o %d:%d (%s)", e.Path, octal(e.Mode), e.UID, e.GID, what)
	switch {
	case e.Mode&0o022 != 0:
		return config.Result{Status: config.Fail, Path: e.Path, Message: desc + " is writable by " + writers(e)}
	case e.UID != u.UID && e.UID != 0:
		return config.Result{Status: config.Fail, Path: e.Path, Message: fmt.Sprintf("%s is owned by uid %d, not %s", desc, e.UID, u.Name)}
	}
	return config.Result{Status: config.Pass, Path: e.Path, Message: desc}
}

func rootHomeCheck() config.Check {
	return config.Check{
		ID:       "files-root-home",
		Title:    "root's home directory is 0700 and owned by root",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/passwd", "metadata of root's home directory"},
		Rationale: "root's home holds its shell history, SSH keys and tool credentials (.aws, .docker, .kube). " +
			"Readable by others, they leak; writable, they let anyone run code as root at root's next login.",
		Remediation: "chown root:root /root && chmod 0700 /root",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure root user home directory permissions are configured",
			"hier(7)"},
		Run: runRootHome,
	}
}

func runRootHome(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	p := "root"
	if u, ok := db.user("root"); ok {
		p = strings.Trim(path.Clean("/"+u.Home), "/")
	}
	e, ok := lookupDir(r, p)
	if p == "" || !ok {
		return notApplicable("root has no home directory in the image"), nil
	}
	return []config.Result{judge(e, rootOnly(0o700))}, nil
}

// riskyDotFiles are files whose mere presence is a finding.
var riskyDotFiles = map[string]string{
	".rhosts":  "grants password-less rlogin/rsh trust",
	".shosts":  "grants host-based SSH trust",
	".netrc":   "stores remote passwords in clear text",
	".forward": "forwards mail and can pipe it to commands",
}

func dotFilesCheck() config.Check {
	return config.Check{
		ID:       "files-dot-files",
		Title:    "No home holds writable dot files, .rhosts, .shosts, .netrc or .forward",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/passwd", "dot files in root's and interactive users' homes", "etc/skel/.*"},
		Rationale: "Shells run .profile and .bashrc at login; one writable by others runs their code as the user. " +
			".rhosts and .shosts grant password-less trust, .netrc stores passwords in clear text and .forward " +
			"can pipe mail into commands. /etc/skel is included: new accounts inherit its files.",
		Remediation: "chmod go-w the listed dot files and delete .rhosts, .shosts, .netrc and .forward (use SSH keys " +
			"and a credential helper instead).",
		References: append(homeReferences, "hosts.equiv(5)", "netrc(5)"),
		Run:        runDotFiles,
	}
}

func runDotFiles(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	dirs := homes(r, db, true)
	if e, ok := lookupDir(r, "etc/skel"); ok {
		dirs = append(dirs, home{user: account{Name: "new accounts"}, dir: e})
	}
	if len(dirs) == 0 {
		return notApplicable("no home directories in the image"), nil
	}
	var out []config.Result
	for _, h := range dirs {
		out = append(out, dotFiles(r, h)...)
	}
	return out, nil
}

// dotFiles judges the dot files directly inside one home.
func dotFiles(r rootfs.Root, h home) []config.Result {
	var out []config.Result
	n := 0
	for _, e := range rootfs.Dir(r, h.dir.Path) {
		name := path.Base(e.Path)
		if !strings.HasPrefix(name, ".") || !(e.Mode.IsRegular() || e.Mode.IsDir()) {
			continue
		}
		n++
		if why, ok := riskyDotFiles[name]; ok {
			out = append(out, config.Result{Status: config.Fail, Path: e.Path, Message: fmt.Sprintf("%s exists: it %s", e.Path, why)})
			continue
		}
		if e.Mode&0o022 != 0 {
			out = append(out, config.Result{Status: config.Fail, Path: e.Path,
				Message: fmt.Sprintf("%s %04o (%s) is writable by %s", e.Path, octal(e.Mode), h.user.Name, writers(e))})
		}
	}
	if len(out) == 0 {
		out = append(out, config.Result{Status: config.Pass, Path: h.dir.Path,
			Message: fmt.Sprintf("%s (%s): %d dot files, none risky", h.dir.Path, h.user.Name, n)})
	}
	return out
}

func authorizedKeysCheck() config.Check {
	return config.Check{
		ID:       "files-ssh-authorized-keys",
		Title:    "~/.ssh and authorized_keys belong to their user and only they can write them",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/passwd", "~/.ssh, ~/.ssh/authorized_keys, ~/.ssh/authorized_keys2 of root and interactive users"},
		Rationale: "authorized_keys decides who logs in as its user. If others can write it or the .ssh directory, " +
			"they add their own key; sshd's StrictModes refuses such files, so the image either grants access " +
			"or breaks key login, depending on a setting elsewhere.",
		Remediation: "chown -R USER: ~USER/.ssh && chmod 0700 ~USER/.ssh && chmod 0600 ~USER/.ssh/authorized_keys",
		References:  []string{"sshd(8): AUTHORIZED_KEYS FILE FORMAT", "sshd_config(5): StrictModes"},
		Run:         runAuthorizedKeys,
	}
}

func runAuthorizedKeys(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	for _, h := range homes(r, db, true) {
		dir := h.dir.Path + "/.ssh"
		e, ok := lookupDir(r, dir)
		if !ok {
			continue
		}
		res := judgeOwned(e, h.user, ".ssh of "+h.user.Name)
		if res.Status == config.Pass && e.Mode&0o077 != 0 {
			res.Status, res.Message = config.Fail, res.Message+" is open to group or others, want 0700"
		}
		out = append(out, res)
		for _, name := range []string{"authorized_keys", "authorized_keys2"} {
			if f, ok := lookupFile(r, dir+"/"+name); ok {
				out = append(out, judgeOwned(f, h.user, name+" of "+h.user.Name))
			}
		}
	}
	if len(out) == 0 {
		return notApplicable("no home directory has a .ssh directory"), nil
	}
	return out, nil
}
