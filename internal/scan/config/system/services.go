package system

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// systemdBinaries mark systemd as the init system.
var systemdBinaries = []string{"usr/lib/systemd/systemd", "lib/systemd/systemd"}

// unitDirs hold systemd units, most important first.
var unitDirs = []string{"etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}

// hasSystemd reports whether systemd is installed.
func hasSystemd(r rootfs.Root) bool {
	_, ok := findFile(r, systemdBinaries...)
	return ok
}

// initSystem names the init system r boots with ("" for none: a container
// image whose runtime starts one process). busybox's init counts only with
// OpenRC beside it, since Alpine's container images carry the applet
// without booting through it.
func initSystem(r rootfs.Root) string {
	switch {
	case hasSystemd(r):
		return "systemd"
	case fileIn(r, "sbin/openrc", "usr/sbin/openrc", "sbin/openrc-init"):
		return "openrc"
	}
	real, err := rootfs.Resolve(r, "sbin/init")
	if err != nil || path.Base(real) == "busybox" {
		return ""
	}
	if e, ok := r.Lookup(real); ok && e.Mode.IsRegular() {
		return "sysvinit"
	}
	return ""
}

// bootable reports whether r is meant to boot a machine (an init system
// or a kernel), as opposed to a container image: services such as time
// synchronisation, auditing and firewalls are the host's job there.
func bootable(r rootfs.Root) bool {
	if initSystem(r) != "" {
		return true
	}
	for _, e := range rootfs.Dir(r, "boot") {
		if strings.HasPrefix(path.Base(e.Path), "vmlinuz") {
			return true
		}
	}
	return false
}

func fileIn(r rootfs.Root, paths ...string) bool {
	_, ok := findFile(r, paths...)
	return ok
}

// masked reports whether unit is masked: linked to /dev/null in etc or run.
func masked(r rootfs.Root, unit string) bool {
	for _, d := range unitDirs[:2] {
		e, ok := r.Lookup(d + "/" + unit)
		if !ok || e.Mode&fs.ModeSymlink == 0 {
			continue
		}
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = path.Join("/"+d, target)
		}
		if path.Clean(target) == "/dev/null" {
			return true
		}
	}
	return false
}

// services names one service the way each init system and super-server
// knows it.
type services struct {
	units   []string // systemd units: "telnet.socket"
	scripts []string // OpenRC and SysV init scripts: "telnetd"
	inetd   []string // inetd.conf and xinetd service names: "telnet"
}

// startRef is one place that starts a service at boot.
type startRef struct {
	Path string
	Line int
	What string // "systemd unit telnet.socket", "inetd service telnet"
}

// enabledAt returns every place r starts any of s at boot: systemd
// .wants/.requires links of units that are not masked, OpenRC runlevels,
// SysV S links, inetd.conf lines and xinetd services not disabled.
func enabledAt(r rootfs.Root, s services) ([]startRef, error) {
	out := systemdStarts(r, s.units)
	out = append(out, scriptStarts(r, s.scripts)...)
	in, err := inetdStarts(r, s.inetd)
	if err != nil {
		return nil, err
	}
	out = append(out, in...)
	x, err := xinetdStarts(r, s.inetd)
	if err != nil {
		return nil, err
	}
	return append(out, x...), nil
}

func systemdStarts(r rootfs.Root, units []string) []startRef {
	if len(units) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, u := range units {
		want[u] = !masked(r, u)
	}
	var out []startRef
	for _, d := range unitDirs {
		for _, dep := range rootfs.Dir(r, d) {
			if !dep.Mode.IsDir() || !(strings.HasSuffix(dep.Path, ".wants") || strings.HasSuffix(dep.Path, ".requires")) {
				continue
			}
			for _, e := range rootfs.Dir(r, dep.Path) {
				if u := path.Base(e.Path); want[u] {
					out = append(out, startRef{Path: e.Path, What: "systemd unit " + u})
				}
			}
		}
	}
	return out
}

func scriptStarts(r rootfs.Root, scripts []string) []startRef {
	var out []startRef
	for _, s := range scripts {
		for _, lvl := range rootfs.Dir(r, "etc/runlevels") {
			if rootfs.Exists(r, lvl.Path+"/"+s) {
				out = append(out, startRef{Path: lvl.Path + "/" + s, What: "OpenRC service " + s})
			}
		}
		for _, n := range "2345" {
			for _, e := range rootfs.Dir(r, "etc/rc"+string(n)+".d") {
				b := path.Base(e.Path)
				if len(b) > 3 && b[0] == 'S' && b[3:] == s {
					out = append(out, startRef{Path: e.Path, What: "SysV init script " + s})
				}
			}
		}
	}
	return out
}

// inetdStarts finds uncommented etc/inetd.conf lines whose service field
// (optionally "address:service") is one of names.
func inetdStarts(r rootfs.Root, names []string) ([]startRef, error) {
	data, err := r.ReadFile("etc/inetd.conf")
	if errors.Is(err, fs.ErrNotExist) || len(names) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read etc/inetd.conf: %w", err)
	}
	var out []startRef
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || strings.HasPrefix(f[0], "#") {
			continue
		}
		svc := f[0][strings.LastIndex(f[0], ":")+1:]
		if contains(names, svc) {
			out = append(out, startRef{Path: "etc/inetd.conf", Line: i + 1, What: "inetd service " + svc})
		}
	}
	return out, nil
}

// xinetdStarts finds "service NAME" blocks in etc/xinetd.conf and
// etc/xinetd.d/* that do not say "disable = yes".
func xinetdStarts(r rootfs.Root, names []string) ([]startRef, error) {
	if len(names) == 0 {
		return nil, nil
	}
	files := []string{"etc/xinetd.conf"}
	for _, e := range rootfs.Dir(r, "etc/xinetd.d") {
		files = append(files, e.Path)
	}
	var out []startRef
	for _, p := range files {
		data, err := r.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		for _, b := range parseXinetd(data) {
			if contains(names, b.name) && !b.disabled {
				out = append(out, startRef{Path: p, Line: b.line, What: "xinetd service " + b.name})
			}
		}
	}
	return out, nil
}

// xinetdService is one "service NAME { ... }" block.
type xinetdService struct {
	name     string
	line     int
	disabled bool
}

// parseXinetd returns the service blocks of an xinetd configuration file
// (xinetd.conf(5)). A block is enabled unless it says "disable = yes".
func parseXinetd(data []byte) []xinetdService {
	var out []xinetdService
	var cur *xinetdService
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(strings.Replace(line, "=", " = ", 1))
		switch {
		case len(f) >= 2 && f[0] == "service":
			out = append(out, xinetdService{name: f[1], line: i + 1})
			cur = &out[len(out)-1]
		case len(f) == 1 && f[0] == "}":
			cur = nil
		case cur != nil && len(f) >= 3 && f[0] == "disable" && f[1] == "=":
			cur.disabled = strings.EqualFold(f[2], "yes")
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
