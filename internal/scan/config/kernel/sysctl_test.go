package kernel

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

func root(t testing.TB, fixture string) rootfs.Root { return configtest.Root(t, fixture) }

func TestParseSysctl(t *testing.T) {
	tests := []struct {
		in   string
		want []assignment
	}{
		{in: "kernel.randomize_va_space = 2", want: []assignment{{Key: "kernel.randomize_va_space", Value: "2", Line: 1}}},
		{in: "  net.ipv4.ip_forward=0  ", want: []assignment{{Key: "net.ipv4.ip_forward", Value: "0", Line: 1}}},
		{in: "# comment\n; also a comment\n\nfs.suid_dumpable = 0", want: []assignment{{Key: "fs.suid_dumpable", Value: "0", Line: 4}}},
		{in: "net/ipv4/conf/enp3s0.200/forwarding = 1", want: []assignment{{Key: "net.ipv4.conf.enp3s0/200.forwarding", Value: "1", Line: 1}}},
		{in: "-kernel.yama.ptrace_scope = 1", want: []assignment{{Key: "kernel.yama.ptrace_scope", Value: "1", Line: 1}}},
		{in: "net.ipv4.conf.*.rp_filter = 2", want: []assignment{{Key: "net.ipv4.conf.*.rp_filter", Value: "2", Line: 1, Glob: true}}},
		{in: "-net.ipv4.conf.all.rp_filter", want: []assignment{{Key: "net.ipv4.conf.all.rp_filter", Line: 1, Exclude: true}}},
		{in: "kernel.domainname = a=b", want: []assignment{{Key: "kernel.domainname", Value: "a=b", Line: 1}}},
		{in: "no value here\n= 3\n-"},
	}
	for _, tt := range tests {
		got := parseSysctl("", []byte(tt.in))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseSysctl(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSysctlPrecedence(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		key     string
		want    string // "" when unset
		path    string
	}{{
		name: "etc hides the same name in usr/lib",
		fixture: `-- usr/lib/sysctl.d/50-x.conf --
fs.suid_dumpable = 2
-- etc/sysctl.d/50-x.conf --
fs.suid_dumpable = 0
`,
		key: "fs.suid_dumpable", want: "0", path: "etc/sysctl.d/50-x.conf",
	}, {
		name: "files apply in name order across directories",
		fixture: `-- etc/sysctl.d/10-a.conf --
fs.suid_dumpable = 0
-- usr/lib/sysctl.d/99-z.conf --
fs.suid_dumpable = 2
-- run/sysctl.d/README --
fs.suid_dumpable = 1
`,
		key: "fs.suid_dumpable", want: "2", path: "usr/lib/sysctl.d/99-z.conf",
	}, {
		name: "sysctl.conf comes last",
		fixture: `-- lib/sysctl.d/99-z.conf --
kernel.kptr_restrict = 0
-- etc/sysctl.conf --
kernel.kptr_restrict = 1
`,
		key: "kernel.kptr_restrict", want: "1", path: sysctlConf,
	}, {
		name: "sysctl.conf linked into sysctl.d applies in that place only",
		fixture: `symlink etc/sysctl.d/99-sysctl.conf ../sysctl.conf
-- etc/sysctl.conf --
kernel.kptr_restrict = 1
-- usr/lib/sysctl.d/99-zz.conf --
kernel.kptr_restrict = 0
`,
		key: "kernel.kptr_restrict", want: "0", path: "usr/lib/sysctl.d/99-zz.conf",
	}, {
		name: "a link to /dev/null masks the file",
		fixture: `symlink etc/sysctl.d/50-default.conf /dev/null
-- usr/lib/sysctl.d/50-default.conf --
fs.protected_symlinks = 1
`,
		key: "fs.protected_symlinks",
	}, {
		name: "the last line of a file wins",
		fixture: `-- etc/sysctl.d/60.conf --
net.ipv4.ip_forward = 1
net.ipv4.ip_forward = 0
`,
		key: "net.ipv4.ip_forward", want: "0", path: "etc/sysctl.d/60.conf",
	}, {
		name: "an explicit key beats a later glob",
		fixture: `-- etc/sysctl.d/10.conf --
net.ipv4.conf.all.rp_filter = 1
-- etc/sysctl.d/90.conf --
net.ipv4.conf.*.rp_filter = 2
`,
		key: "net.ipv4.conf.all.rp_filter", want: "1", path: "etc/sysctl.d/10.conf",
	}, {
		name: "a glob applies to keys nobody sets",
		fixture: `-- etc/sysctl.d/90.conf --
net.ipv4.conf.*.rp_filter = 2
`,
		key: "net.ipv4.conf.default.rp_filter", want: "2", path: "etc/sysctl.d/90.conf",
	}, {
		name: "an excluded key keeps out of globs",
		fixture: `-- usr/lib/sysctl.d/50-default.conf --
net.ipv4.conf.*.rp_filter = 2
-net.ipv4.conf.all.rp_filter
`,
		key: "net.ipv4.conf.all.rp_filter",
	}, {
		name: "only .conf files count",
		fixture: `-- etc/sysctl.d/60.conf.dpkg-old --
fs.suid_dumpable = 2
`,
		key: "fs.suid_dumpable",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := loadSysctl(root(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			a, ok := st.lookup(tt.key)
			if !ok {
				a = assignment{}
			}
			if a.Value != tt.want || a.Path != tt.path {
				t.Errorf("lookup(%q) = %q at %q, want %q at %q (files %v)", tt.key, a.Value, a.Path, tt.want, tt.path, st.Files)
			}
		})
	}
}

func TestNormalizeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"kernel.domainname", "kernel.domainname"},
		{"kernel/domainname", "kernel.domainname"},
		{"net.ipv4.conf.enp3s0/200.forwarding", "net.ipv4.conf.enp3s0/200.forwarding"},
		{"net/ipv4/conf/enp3s0.200/forwarding", "net.ipv4.conf.enp3s0/200.forwarding"},
		{"/proc/sys/", "proc.sys"},
		{"single", "single"},
	}
	for _, tt := range tests {
		if got := normalizeKey(tt.in); got != tt.want {
			t.Errorf("normalizeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestASLRResults(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    []config.Status
	}{
		{name: "partial randomisation fails", fixture: "-- etc/sysctl.conf --\nkernel.randomize_va_space = 1\n",
			want: []config.Status{config.Fail}},
		{name: "boot parameter sets the sysctl", fixture: "-- etc/kernel/cmdline --\nroot=/dev/vda1 sysctl.kernel.randomize_va_space=0\n",
			want: []config.Status{config.Pass, config.Fail}},
		{name: "a file beats the boot parameter", fixture: "-- etc/kernel/cmdline --\nsysctl.kernel.randomize_va_space=0\n-- etc/sysctl.d/1.conf --\nkernel.randomize_va_space=2\n",
			want: []config.Status{config.Pass, config.Pass}},
		{name: "CONFIG_COMPAT_BRK makes the default partial", fixture: "-- boot/config-6.1.0-1-amd64 --\nCONFIG_X86_64=y\nCONFIG_COMPAT_BRK=y\n",
			want: []config.Status{config.Fail}},
		{name: "grub.cfg norandmaps", fixture: "-- boot/grub/grub.cfg --\nmenuentry 'Debian' {\n\tlinux\t/boot/vmlinuz-6.1 root=UUID=1 ro quiet norandmaps\n}\n-- etc/sysctl.conf --\nkernel.randomize_va_space=2\n",
			want: []config.Status{config.Fail, config.Pass}},
	}
	check := aslrCheck()
	for _, tt := range tests {
		rs, err := check.Run(context.Background(), root(t, tt.fixture))
		if err != nil {
			t.Fatal(err)
		}
		var got []config.Status
		for _, r := range rs {
			got = append(got, r.Status)
		}
		if !cmp.Equal(got, tt.want) {
			t.Errorf("%s: kernel-aslr = %v, want %v (%+v)", tt.name, got, tt.want, rs)
		}
	}
}

func TestIPv6DisabledIsNotApplicable(t *testing.T) {
	r := root(t, "-- etc/default/grub --\nGRUB_CMDLINE_LINUX=\"ipv6.disable=1\"\n")
	for _, c := range Checks() {
		if c.ID != "kernel-ipv6-accept-ra" {
			continue
		}
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rs {
			if res.Status != config.NotApplicable || res.Path != "etc/default/grub" {
				t.Errorf("%s with ipv6.disable=1 = %+v, want not applicable from etc/default/grub", c.ID, res)
			}
		}
	}
}

func FuzzParseSysctl(f *testing.F) {
	f.Add("kernel.randomize_va_space = 2\n-net.ipv4.conf.all.rp_filter\nnet.ipv4.conf.*.rp_filter=2\n", "net.ipv4.conf.all.rp_filter")
	f.Add("net/ipv4/conf/a.b/x = 1\n; c\n# d\n-\n=\n[", "net.ipv4.conf.a/b.x")
	f.Fuzz(func(t *testing.T, data, key string) {
		as := parseSysctl("f", []byte(data))
		for _, a := range as {
			if a.Key == "" || a.Line < 1 {
				t.Fatalf("bad assignment %+v", a)
			}
		}
		st := &sysctlState{Assignments: as}
		if a, ok := st.lookup(key); ok && a.Exclude {
			t.Fatalf("lookup(%q) returned an exclusion %+v", key, a)
		}
	})
}
