package system

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/secpipe/secpipe/internal/rootfs"
)

func link(p, target string) rootfs.Entry {
	return rootfs.Entry{Path: p, Mode: fs.ModeSymlink | 0o777, Link: target}
}

func file(p string) rootfs.Entry { return rootfs.Entry{Path: p, Mode: 0o755} }

func TestInitSystem(t *testing.T) {
	tests := []struct {
		name     string
		entries  []rootfs.Entry
		want     string
		bootable bool
	}{
		{name: "empty", want: ""},
		{name: "systemd on merged usr", entries: []rootfs.Entry{link("lib", "usr/lib"), file("usr/lib/systemd/systemd")}, want: "systemd", bootable: true},
		{name: "alpine container: busybox init applet only", entries: []rootfs.Entry{file("bin/busybox"), link("sbin/init", "/bin/busybox")}, want: ""},
		{name: "alpine with openrc", entries: []rootfs.Entry{file("sbin/openrc"), link("sbin/init", "/bin/busybox"), file("bin/busybox")}, want: "openrc", bootable: true},
		{name: "sysvinit", entries: []rootfs.Entry{file("sbin/init")}, want: "sysvinit", bootable: true},
		{name: "kernel only", entries: []rootfs.Entry{file("boot/vmlinuz-6.1.0-18-amd64")}, want: "", bootable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rootfs.NewMemRoot(tt.entries, nil)
			if got := initSystem(r); got != tt.want {
				t.Errorf("initSystem(%s) = %q, want %q", tt.name, got, tt.want)
			}
			if got := bootable(r); got != tt.bootable {
				t.Errorf("bootable(%s) = %v, want %v", tt.name, got, tt.bootable)
			}
		})
	}
}

func TestEnabledAt(t *testing.T) {
	r := rootfs.NewMemRoot([]rootfs.Entry{
		link("etc/systemd/system/multi-user.target.wants/ssh.service", "/usr/lib/systemd/system/ssh.service"),
		link("etc/systemd/system/sockets.target.wants/telnet.socket", "/usr/lib/systemd/system/telnet.socket"),
		link("etc/systemd/system/telnet.socket", "/dev/null"),
		link("etc/systemd/system/tftp.socket", "../../../dev/null"),
		link("usr/lib/systemd/system/sockets.target.wants/tftp.socket", "../tftp.socket"),
		link("etc/runlevels/default/telnetd", "/etc/init.d/telnetd"),
		link("etc/rc2.d/S01telnetd", "../init.d/telnetd"),
		link("etc/rc2.d/K01telnetd", "../init.d/telnetd"),
		{Path: "etc/inetd.conf", Mode: 0o644, Size: 1},
	}, map[string][]byte{"etc/inetd.conf": []byte("#telnet stream tcp nowait root /usr/sbin/in.telnetd in.telnetd\n" +
		"127.0.0.1:telnet stream tcp nowait root /usr/sbin/in.telnetd in.telnetd\n")})
	got, err := enabledAt(r, services{units: []string{"telnet.socket", "tftp.socket", "ssh.service"}, scripts: []string{"telnetd"}, inetd: []string{"telnet"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []startRef{
		{Path: "etc/systemd/system/multi-user.target.wants/ssh.service", What: "systemd unit ssh.service"},
		{Path: "etc/runlevels/default/telnetd", What: "OpenRC service telnetd"},
		{Path: "etc/rc2.d/S01telnetd", What: "SysV init script telnetd"},
		{Path: "etc/inetd.conf", Line: 2, What: "inetd service telnet"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enabledAt mismatch (-want +got):\n%s", diff)
	}
}

// TestOddInput runs every check over roots that are empty, hold junk in
// the files checks read, or loop symlinks. Junk and loops may be errors,
// which must name the file; an empty root is no error; nothing panics.
func TestOddInput(t *testing.T) {
	junk := []byte("\x00\xff{{}\n\"\n/*\n[x\n:::\n" + strings.Repeat("}", 100))
	var entries []rootfs.Entry
	contents := map[string][]byte{}
	for _, p := range []string{dpkgStatus, apkInstalled, "etc/fstab", "etc/apt/apt.conf", "etc/apt/sources.list",
		"etc/apt/sources.list.d/x.sources", "etc/inetd.conf", "etc/xinetd.d/x", "etc/systemd/journald.conf", "etc/dnf/dnf.conf",
		"etc/yum.repos.d/x.repo", "etc/audit/audit.rules", "etc/rsyslog.conf", "etc/security/limits.conf", "etc/inittab",
		"etc/apk/config", "etc/ufw/ufw.conf"} {
		entries = append(entries, rootfs.Entry{Path: p, Mode: 0o644, Size: int64(len(junk))})
		contents[p] = junk
	}
	roots := map[string]*rootfs.MemRoot{
		"empty": rootfs.NewMemRoot(nil, nil),
		"junk":  rootfs.NewMemRoot(append(entries, file("usr/lib/systemd/systemd"), file("usr/lib/systemd/systemd-coredump")), contents),
		"loops": rootfs.NewMemRoot([]rootfs.Entry{link("usr/lib/systemd/systemd", "/lib/systemd/systemd"), link("lib", "usr/lib"),
			link("etc/apt", "apt"), link("sbin/init", "init"), link("etc/fstab", "/etc/fstab")}, nil),
	}
	for name, r := range roots {
		for _, c := range Checks() {
			rs, err := c.Run(context.Background(), r)
			if err != nil && (name == "empty" || !strings.Contains(err.Error(), "etc/") && !strings.Contains(err.Error(), "var/") && !strings.Contains(err.Error(), "lib/")) {
				t.Errorf("%s on %s root: %v", c.ID, name, err)
			}
			if err == nil && len(rs) == 0 {
				t.Errorf("%s on %s root: no results", c.ID, name)
			}
		}
	}
}
