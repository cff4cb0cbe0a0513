package files

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// account is one line of etc/passwd.
type account struct {
	Name     string
	UID, GID int
	Home     string
	Shell    string
	Line     int
}

// groupEntry is one line of etc/group.
type groupEntry struct {
	Name string
	GID  int
	Line int
}

// parsePasswd parses passwd(5) lines. Lines that are blank, comments, NIS
// compat entries ("+" or "-") or lack numeric IDs are skipped: the kernel
// knows nothing of them and a malformed line must not stop a scan.
func parsePasswd(data []byte) []account {
	var out []account
	for i, line := range lines(data) {
		f := strings.Split(line, ":")
		if len(f) < 7 || f[0] == "" || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
			continue
		}
		out = append(out, account{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6], Line: i + 1})
	}
	return out
}

// parseGroup parses group(5) lines, skipping the same kinds of lines as
// parsePasswd.
func parseGroup(data []byte) []groupEntry {
	var out []groupEntry
	for i, line := range lines(data) {
		f := strings.Split(line, ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil || gid < 0 {
			continue
		}
		out = append(out, groupEntry{Name: f[0], GID: gid, Line: i + 1})
	}
	return out
}

// lines splits data into lines without their terminators; comment lines
// come back empty so that indexes stay line numbers minus one.
func lines(data []byte) []string {
	data = bytes.TrimSuffix(data, []byte("\n"))
	if len(data) == 0 {
		return nil
	}
	out := strings.Split(string(data), "\n")
	for i, l := range out {
		l = strings.TrimSuffix(l, "\r")
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			l = ""
		}
		out[i] = l
	}
	return out
}

// accounts is what a root says about its users and groups.
type accounts struct {
	users      []account
	groups     []groupEntry
	havePasswd bool
	haveGroup  bool
}

// loadAccounts reads etc/passwd and etc/group; missing files leave the
// corresponding lists empty, unreadable ones are errors.
func loadAccounts(r rootfs.Root) (*accounts, error) {
	db := &accounts{}
	data, ok, err := readOptional(r, "etc/passwd")
	if err != nil {
		return nil, err
	}
	db.users, db.havePasswd = parsePasswd(data), ok
	if data, ok, err = readOptional(r, "etc/group"); err != nil {
		return nil, err
	}
	db.groups, db.haveGroup = parseGroup(data), ok
	return db, nil
}

// readOptional reads p, reporting ok=false when it does not exist.
func readOptional(r rootfs.Root, p string) (data []byte, ok bool, err error) {
	data, err = r.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	return data, true, nil
}

// gid returns the ID of the named group.
func (db *accounts) gid(name string) (int, bool) {
	for _, g := range db.groups {
		if g.Name == name {
			return g.GID, true
		}
	}
	return 0, false
}

// user returns the named account.
func (db *accounts) user(name string) (account, bool) {
	for _, u := range db.users {
		if u.Name == name {
			return u, true
		}
	}
	return account{}, false
}

// interactive returns the accounts people log in to: UID 1000 and up
// (the Debian, Fedora and Alpine default UID_MIN), not nobody, with a
// shell that is not a refusal such as nologin or false.
func (db *accounts) interactive() []account {
	var out []account
	for _, u := range db.users {
		if u.UID >= 1000 && u.UID != 65534 && !refusesLogin(u.Shell) {
			out = append(out, u)
		}
	}
	return out
}

func refusesLogin(shell string) bool {
	switch shell[strings.LastIndex(shell, "/")+1:] {
	case "nologin", "false", "sync", "shutdown", "halt":
		return true
	}
	return false
}
