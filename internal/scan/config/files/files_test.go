package files

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

func TestFixtures(t *testing.T) { configtest.CheckFixtures(t, Checks(), "testdata") }

func TestParsePasswd(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []account
	}{
		{name: "empty", in: "", want: nil},
		{name: "two accounts", in: "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:100::/home/alice:/bin/sh\n",
			want: []account{{Name: "root", Home: "/root", Shell: "/bin/bash", Line: 1},
				{Name: "alice", UID: 1000, GID: 100, Home: "/home/alice", Shell: "/bin/sh", Line: 2}}},
		{name: "comments, nis and junk skipped, line numbers kept",
			in:   "# comment\n+::::::\nbad line\nx:x:notanumber:0::/:/bin/sh\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\r\n",
			want: []account{{Name: "bin", UID: 2, GID: 2, Home: "/bin", Shell: "/usr/sbin/nologin", Line: 5}}},
		{name: "negative id skipped", in: "x:x:-1:0::/:/bin/sh\n", want: nil},
		{name: "no trailing newline", in: "root:x:0:0::/root:", want: []account{{Name: "root", Home: "/root", Line: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parsePasswd([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsePasswd(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseGroup(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []groupEntry
	}{
		{name: "empty", in: "\n", want: nil},
		{name: "groups", in: "root:x:0:\nshadow:x:42:\nsudo:x:27:alice,bob\n",
			want: []groupEntry{{Name: "root", Line: 1}, {Name: "shadow", GID: 42, Line: 2}, {Name: "sudo", GID: 27, Line: 3}}},
		{name: "short and junk lines skipped", in: "root:x\n-admins:::\nstaff:x:50:\n",
			want: []groupEntry{{Name: "staff", GID: 50, Line: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseGroup([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseGroup(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzParseAccounts(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\nshadow:x:42:\n"))
	f.Add([]byte("+::::::\n#x\n\r\n::::::\n"))
	f.Add([]byte("a:b:1:2:c:d:e:f:g\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, u := range parsePasswd(data) {
			if u.Name == "" || u.UID < 0 || u.GID < 0 || u.Line < 1 {
				t.Fatalf("parsePasswd(%q) returned %+v", data, u)
			}
		}
		for _, g := range parseGroup(data) {
			if g.Name == "" || g.GID < 0 || g.Line < 1 {
				t.Fatalf("parseGroup(%q) returned %+v", data, g)
			}
		}
	})
}

// TestMessages pins what failing fixtures say, so that a finding tells the
// reader what was found without opening the image.
func TestMessages(t *testing.T) {
	tests := []struct {
		check, fixture string
		want           []string // substrings of failure messages, in order
	}{
		{"files-system-dirs", "fail", []string{"/bin -> /usr/bin 0775 0:50: writable by group 50", "/etc 0777 0:0: writable by others", "/opt 0755 1000:1000: owned by uid 1000, not root"}},
		{"files-shadow-perms", "fail", []string{"etc/shadow mode 0644, want 0640 or stricter"}},
		{"files-gshadow-perms", "fail", []string{"etc/gshadow mode 0644, want 0640 or stricter; owner uid 1000, want root"}},
		{"files-group-perms", "fail", []string{"mode 0664, want 0644 or stricter; group gid 42, want root"}},
		{"files-suid-sgid", "fail", []string{"home/alice/su 4755 setuid uid 0, outside the system program directories",
			"usr/bin/pkexec 4755 setuid uid 0, not on the expected list", "usr/bin/wall 6755 setuid uid 0, setgid gid 5, expected setgid only"}},
		{"files-cron-writable", "fail", []string{"etc/cron.d/app is owned by uid 1000",
			"etc/cron.daily/app -> opt/app/nightly.sh 0777 0:0 is writable by every user", "etc/cron.daily/backup 0777 0:0 is writable by every user"}},
		{"files-cron-allow", "fail", []string{"etc/cron.allow is missing: every user not in etc/cron.deny may use crontab",
			"etc/at.allow is missing: every user may use at"}},
		{"files-dot-files", "fail", []string{"home/alice/.netrc exists: it stores remote passwords in clear text",
			"home/alice/.profile 0666 (alice) is writable by every user"}},
		{"files-ssh-authorized-keys", "fail", []string{"home/alice/.ssh 0755 1000:1000 (.ssh of alice) is open to group or others",
			"authorized_keys 0666 1000:1000 (authorized_keys of alice) is writable by every user"}},
		{"files-log-perms", "fail", []string{"var/log/app/app.log 0644, want 0640", "var/log/wtmp 0666, want 0664"}},
		{"files-unowned", "fail", []string{"opt/app/lib.so has no group: gid 4321", "opt/app/server has no owner (uid 1234) and no group (gid 1234)"}},
	}
	checks := map[string]config.Check{}
	for _, c := range Checks() {
		checks[c.ID] = c
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			file := "testdata/" + tt.check + "/" + tt.fixture + ".txtar"
			rs, err := checks[tt.check].Run(context.Background(), configtest.LoadRoot(t, file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				if r.Status == config.Fail {
					got = append(got, r.Message)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%s on %s: failures %q, want %d", tt.check, file, got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("%s on %s: failure %d = %q, want it to contain %q", tt.check, file, i, got[i], w)
				}
			}
		})
	}
}

func TestWorldWritableCap(t *testing.T) {
	var entries []rootfs.Entry
	for i := range maxListed + 5 {
		entries = append(entries, rootfs.Entry{Path: fmt.Sprintf("srv/f%02d", i), Mode: 0o666})
	}
	rs, err := runWorldWritable(context.Background(), rootfs.NewMemRoot(entries, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != maxListed+1 {
		t.Fatalf("runWorldWritable over %d files = %d results, want %d", maxListed+5, len(rs), maxListed+1)
	}
	last := rs[len(rs)-1]
	if want := "and 5 more (srv/f20 first)"; last.Status != config.Fail || last.Message != want || last.Path != "srv/f20" {
		t.Errorf("overflow result = %+v, want Fail srv/f20 %q", last, want)
	}
}

// TestOddInput runs every check over roots that are empty, hold junk in
// the files checks read, or loop symlinks, and wants no panic and no error.
func TestOddInput(t *testing.T) {
	junk := []byte("\x00\xff:::\n:x:-5:zz\n" + strings.Repeat(":", 5000))
	roots := map[string]*rootfs.MemRoot{
		"empty": rootfs.NewMemRoot(nil, nil),
		"junk": rootfs.NewMemRoot([]rootfs.Entry{
			{Path: "etc/passwd", Mode: 0o644, Size: int64(len(junk))}, {Path: "etc/group", Mode: 0o644, Size: int64(len(junk))},
			{Path: "usr/bin/cron", Mode: 0o755}, {Path: "usr/sbin/cron", Mode: 0o755},
		}, map[string][]byte{"etc/passwd": junk, "etc/group": junk}),
		"loops": rootfs.NewMemRoot([]rootfs.Entry{
			{Path: "bin", Mode: fs.ModeSymlink | 0o777, Link: "usr/bin"}, {Path: "usr/bin", Mode: fs.ModeSymlink | 0o777, Link: "/bin"},
			{Path: "etc/cron.d", Mode: fs.ModeSymlink | 0o777, Link: "cron.d"}, {Path: "usr/sbin/cron", Mode: 0o755},
			{Path: "etc/passwd", Mode: 0o644, Size: 30}, {Path: "root", Mode: fs.ModeSymlink | 0o777, Link: "/root"},
		}, map[string][]byte{"etc/passwd": []byte("root:x:0:0::/root:/bin/sh\nx:x:1000:1000::/:/bin/sh\n")}),
	}
	for name, r := range roots {
		for _, c := range Checks() {
			if _, err := c.Run(context.Background(), r); err != nil {
				t.Errorf("%s on %s root: %v", c.ID, name, err)
			}
		}
	}
}
