package system

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// Package database locations.
const (
	dpkgStatus   = "var/lib/dpkg/status"
	dpkgStatusD  = "var/lib/dpkg/status.d"
	apkInstalled = "lib/apk/db/installed"
)

// rpmDatabases mark an rpm-based root. rpm's database is binary (Berkeley
// DB, NDB or SQLite) and is not read: checks fall back on the files a
// package installs.
var rpmDatabases = []string{"var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
	"usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/Packages.db"}

// installed is one package found in a database file.
type installed struct {
	Package
	DB string // the file that lists it
}

// inventory is what a root's package databases say is installed.
type inventory struct {
	// dbs are the database files read, or the rpm database found.
	dbs  []string
	pkgs map[string]installed
	// osRelease reports etc/os-release or usr/lib/os-release: an
	// operating system root even without a readable package database.
	osRelease bool
}

// loadInventory reads the dpkg and apk databases of r. A database that
// cannot be parsed is an error naming the file and line.
func loadInventory(r rootfs.Root) (*inventory, error) {
	inv := &inventory{pkgs: map[string]installed{}}
	if err := inv.read(r, dpkgStatus, parseDpkgStatus); err != nil {
		return nil, err
	}
	for _, e := range rootfs.Dir(r, dpkgStatusD) {
		if e.Mode.IsRegular() && !strings.HasSuffix(e.Path, ".md5sums") {
			if err := inv.read(r, e.Path, parseDpkgStatus); err != nil {
				return nil, err
			}
		}
	}
	if err := inv.read(r, apkInstalled, parseApkInstalled); err != nil {
		return nil, err
	}
	for _, p := range rpmDatabases {
		if rootfs.Exists(r, p) {
			inv.dbs = append(inv.dbs, p)
			break
		}
	}
	inv.osRelease = rootfs.Exists(r, "etc/os-release") || rootfs.Exists(r, "usr/lib/os-release")
	return inv, nil
}

func (inv *inventory) read(r rootfs.Root, p string, parse func([]byte) ([]Package, error)) error {
	data, err := r.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("read %s: %w", p, err)
	}
	pkgs, err := parse(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", p, err)
	}
	inv.dbs = append(inv.dbs, p)
	for _, pkg := range pkgs {
		inv.pkgs[pkg.Name] = installed{Package: pkg, DB: p}
	}
	return nil
}

// isOS reports whether r looks like an operating system: it has a package
// database or an os-release file.
func (inv *inventory) isOS() bool { return len(inv.dbs) > 0 || inv.osRelease }

// db names the package database for messages and results ("" if none).
func (inv *inventory) db() string {
	if len(inv.dbs) == 0 {
		return ""
	}
	return inv.dbs[0]
}

// find returns the installed packages among names, in the order given.
func (inv *inventory) find(names ...string) []installed {
	var out []installed
	for _, n := range names {
		if p, ok := inv.pkgs[n]; ok {
			out = append(out, p)
		}
	}
	return out
}

// has reports whether any of names is installed.
func (inv *inventory) has(names ...string) bool { return len(inv.find(names...)) > 0 }

// result is a failure pointing at p's database entry.
func (p installed) result(status config.Status, msg string) config.Result {
	return config.Result{Status: status, Path: p.DB, Line: p.Line, Message: msg}
}

// String is "name version" for messages.
func (p installed) String() string {
	if p.Version == "" {
		return p.Name
	}
	return p.Name + " " + p.Version
}

// findFile returns the first of paths that resolves to a regular file,
// returning the path as given.
func findFile(r rootfs.Root, paths ...string) (string, bool) {
	for _, p := range paths {
		real, err := rootfs.Resolve(r, p)
		if err != nil {
			continue
		}
		if e, ok := r.Lookup(real); ok && e.Mode.IsRegular() {
			return p, true
		}
	}
	return "", false
}

// inDirs expands program names into their paths in the usual program
// directories: inDirs("sshd") is usr/sbin/sshd, sbin/sshd, usr/bin/sshd...
func inDirs(names ...string) []string {
	var out []string
	for _, n := range names {
		if strings.Contains(n, "/") {
			out = append(out, n)
			continue
		}
		for _, d := range []string{"usr/sbin", "sbin", "usr/bin", "bin"} {
			out = append(out, path.Join(d, n))
		}
	}
	return out
}
