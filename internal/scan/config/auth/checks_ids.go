package auth

import (
	"context"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// duplicateResults fails every record whose field (a numeric ID) an
// earlier record of file already has.
func duplicateResults(file string, field int, what string) runFunc {
	return func(_ context.Context, r rootfs.Root) ([]config.Result, error) {
		db, err := loadDB(r, file, field+1)
		if err != nil || !db.Present {
			return notApplicable("no %s", file), err
		}
		var out []config.Result
		first := map[string]record{}
		for _, rec := range db.Records {
			id := rec.field(field)
			prev, seen := first[id]
			if !seen {
				first[id] = rec
				continue
			}
			out = append(out, fail(file, rec.Line, "%s %s of %s (%s) is already used by %s (%s)",
				what, id, rec.field(0), at(db, rec), prev.field(0), at(db, prev)))
		}
		if len(out) == 0 {
			out = append(out, pass(file, 0, "%s: %d entries, no %s shared", file, len(db.Records), what))
		}
		return out, nil
	}
}

func duplicateNameResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	present := false
	for _, file := range []string{passwdPath, shadowPath, groupPath} {
		db, err := loadDB(r, file, 1)
		if err != nil {
			return nil, err
		}
		if !db.Present {
			continue
		}
		present = true
		first := map[string]record{}
		bad := 0
		for _, rec := range db.Records {
			name := rec.field(0)
			if prev, seen := first[name]; seen {
				bad++
				out = append(out, fail(file, rec.Line, "name %s (%s) is already used at %s", name, at(db, rec), at(db, prev)))
				continue
			}
			first[name] = rec
		}
		if bad == 0 {
			out = append(out, pass(file, 0, "%s: %d entries, names unique", file, len(db.Records)))
		}
	}
	if !present {
		return notApplicable("no %s, %s or %s", passwdPath, shadowPath, groupPath), nil
	}
	return out, nil
}

// loginExempt are the system accounts whose shells are commands, not
// login shells, by tradition.
func loginExempt(name string) bool {
	switch name {
	case "root", "sync", "shutdown", "halt":
		return true
	}
	return false
}

// noLoginShell reports whether shell refuses interactive logins.
func noLoginShell(shell string) bool {
	switch shell {
	case "/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "/bin/nologin", "/usr/bin/nologin":
		return true
	}
	return false
}

func nologinResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	passwd, err := loadPasswd(r)
	if err != nil || !passwd.Present {
		return notApplicable("no %s", passwdPath), err
	}
	defs, _, err := loadLoginDefs(r)
	if err != nil {
		return nil, err
	}
	uidMin := 1000
	if v, ok := defs["UID_MIN"]; ok {
		if n, err := atoi(v.Value); err == nil {
			uidMin = n
		}
	}
	var out []config.Result
	for _, rec := range passwd.Records {
		uid, ok := rec.num(2)
		name := rec.field(0)
		if !ok || uid >= uidMin || loginExempt(name) {
			continue
		}
		shell := rec.field(6)
		if noLoginShell(shell) {
			out = append(out, pass(passwdPath, rec.Line, "system account %s (UID %d) has shell %s", name, uid, shell))
			continue
		}
		if shell == "" {
			shell = "/bin/sh (empty field)"
		}
		out = append(out, fail(passwdPath, rec.Line, "system account %s (UID %d, below UID_MIN %d) has login shell %s (%s)",
			name, uid, uidMin, shell, at(passwd, rec)))
	}
	if len(out) == 0 {
		return notApplicable("no system accounts below UID_MIN %d besides the exempt ones", uidMin), nil
	}
	return out, nil
}

func shadowGroupResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	groups, err := loadGroup(r)
	if err != nil {
		return nil, err
	}
	var shadowGroup record
	found := false
	for _, rec := range groups.Records {
		if rec.field(0) == "shadow" {
			shadowGroup, found = rec, true
			break
		}
	}
	if !found {
		return notApplicable("no shadow group in %s", groupPath), nil
	}
	var out []config.Result
	if members := strings.TrimSpace(shadowGroup.field(3)); members != "" {
		out = append(out, fail(groupPath, shadowGroup.Line, "group shadow has members %s (%s)", members, at(groups, shadowGroup)))
	}
	passwd, err := loadPasswd(r)
	if err != nil {
		return nil, err
	}
	gid := shadowGroup.field(2)
	for _, rec := range passwd.Records {
		if rec.field(3) == gid {
			out = append(out, fail(passwdPath, rec.Line, "account %s has primary group shadow (GID %s, %s)", rec.field(0), gid, at(passwd, rec)))
		}
	}
	if len(out) == 0 {
		out = append(out, pass(groupPath, shadowGroup.Line, "group shadow (GID %s) has no members", gid))
	}
	return out, nil
}

func rootGIDResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	passwd, err := loadPasswd(r)
	if err != nil {
		return nil, err
	}
	for _, rec := range passwd.Records {
		if rec.field(0) != "root" {
			continue
		}
		gid := rec.field(3)
		if gid == "0" {
			return []config.Result{pass(passwdPath, rec.Line, "root has primary GID 0")}, nil
		}
		return []config.Result{fail(passwdPath, rec.Line, "root has primary GID %s (%s), want 0", gid, at(passwd, rec))}, nil
	}
	return notApplicable("no root account in %s", passwdPath), nil
}

func groupsExistResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	passwd, err := loadPasswd(r)
	if err != nil {
		return nil, err
	}
	groups, err := loadGroup(r)
	if err != nil {
		return nil, err
	}
	if !passwd.Present || !groups.Present {
		return notApplicable("needs both %s and %s", passwdPath, groupPath), nil
	}
	gids := map[string]bool{}
	for _, g := range groups.Records {
		if n, err := strconv.Atoi(g.field(2)); err == nil {
			gids[strconv.Itoa(n)] = true
		}
	}
	var out []config.Result
	for _, rec := range passwd.Records {
		n, err := strconv.Atoi(rec.field(3))
		if err != nil || !gids[strconv.Itoa(n)] {
			out = append(out, fail(passwdPath, rec.Line, "account %s has primary GID %s, not in %s (%s)", rec.field(0), rec.field(3), groupPath, at(passwd, rec)))
		}
	}
	if len(out) == 0 {
		out = append(out, pass(passwdPath, 0, "every primary GID of %s is in %s", passwdPath, groupPath))
	}
	return out, nil
}
