package ssh

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

func root(t testing.TB, fixture string) rootfs.Root { return configtest.Root(t, fixture) }

func TestSplitLine(t *testing.T) {
	tests := []struct {
		line    string
		kw      string
		args    []string
		wantErr bool
	}{
		{line: "PermitRootLogin no", kw: "PermitRootLogin", args: []string{"no"}},
		{line: "  PasswordAuthentication=no", kw: "PasswordAuthentication", args: []string{"no"}},
		{line: "Ciphers = aes128-ctr,aes256-ctr", kw: "Ciphers", args: []string{"aes128-ctr,aes256-ctr"}},
		{line: "X11Forwarding\tyes\r", kw: "X11Forwarding", args: []string{"yes"}},
		{line: `Banner "/etc/my banner"`, kw: "Banner", args: []string{"/etc/my banner"}},
		{line: `Banner '/etc/it''s'`, kw: "Banner", args: []string{"/etc/its"}},
		{line: `AcceptEnv a\ b "c\"d"`, kw: "AcceptEnv", args: []string{"a b", `c"d`}},
		{line: "PermitRootLogin no # root stays out", kw: "PermitRootLogin", args: []string{"no"}},
		{line: "AllowUsers al#ice", kw: "AllowUsers", args: []string{"al#ice"}},
		{line: "# PermitRootLogin yes"},
		{line: "   "},
		{line: ""},
		{line: "PermitRootLogin", wantErr: true},
		{line: "PermitRootLogin = # nothing", wantErr: true},
		{line: `Banner "/etc/unterminated`, wantErr: true},
	}
	for _, tt := range tests {
		kw, args, err := splitLine(tt.line)
		if (err != nil) != tt.wantErr {
			t.Errorf("splitLine(%q) error = %v, want error %v", tt.line, err, tt.wantErr)
			continue
		}
		if kw != tt.kw || !cmp.Equal(args, tt.args) {
			t.Errorf("splitLine(%q) = %q, %q, want %q, %q", tt.line, kw, args, tt.kw, tt.args)
		}
	}
}

// found is what a lookup in a parsed configuration yields.
type found struct {
	Value, Path string
	Line        int
	Match       string
	Included    bool
}

func toFound(d directive) found {
	return found{Value: strings.Join(d.Args, " "), Path: d.Path, Line: d.Line, Match: d.Match, Included: d.Included}
}

func TestLoadSSHD(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		keyword   string
		global    *found
		inMatch   []found
		problems  int
		filesRead int
	}{{
		name: "first value wins",
		fixture: `-- etc/ssh/sshd_config --
PermitRootLogin no
PermitRootLogin yes
`,
		keyword: "permitrootlogin", global: &found{Value: "no", Path: mainConfig, Line: 1}, filesRead: 1,
	}, {
		name: "keywords are case-insensitive",
		fixture: `-- etc/ssh/sshd_config --
PERMITROOTLOGIN yes
`,
		keyword: "permitrootlogin", global: &found{Value: "yes", Path: mainConfig, Line: 1}, filesRead: 1,
	}, {
		name: "relative include glob is read in sorted order",
		fixture: `-- etc/ssh/sshd_config --
Include sshd_config.d/*.conf
MaxAuthTries 6
-- etc/ssh/sshd_config.d/20-b.conf --
MaxAuthTries 5
-- etc/ssh/sshd_config.d/10-a.conf --
MaxAuthTries 3
-- etc/ssh/sshd_config.d/README --
MaxAuthTries 9
`,
		keyword: "maxauthtries", filesRead: 3,
		global: &found{Value: "3", Path: "etc/ssh/sshd_config.d/10-a.conf", Line: 1, Included: true},
	}, {
		name: "Match block overrides only matching connections; Match all ends it",
		fixture: `-- etc/ssh/sshd_config --
Match User bob
  PasswordAuthentication yes
  PasswordAuthentication no
Match all
PasswordAuthentication no
Match Address 10.0.0.0/8
  PasswordAuthentication yes
`,
		keyword: "passwordauthentication", filesRead: 1,
		global: &found{Value: "no", Path: mainConfig, Line: 5},
		inMatch: []found{
			{Value: "yes", Path: mainConfig, Line: 2, Match: "User bob"},
			{Value: "yes", Path: mainConfig, Line: 7, Match: "Address 10.0.0.0/8"},
		},
	}, {
		name: "a Match block in an included file ends with that file",
		fixture: `-- etc/ssh/sshd_config --
Include /etc/ssh/extra.conf
X11Forwarding no
-- etc/ssh/extra.conf --
Match User a
X11Forwarding yes
`,
		keyword: "x11forwarding", filesRead: 2,
		global:  &found{Value: "no", Path: mainConfig, Line: 2},
		inMatch: []found{{Value: "yes", Path: "etc/ssh/extra.conf", Line: 2, Match: "User a", Included: true}},
	}, {
		name: "an Include inside a Match block inherits its criteria",
		fixture: `-- etc/ssh/sshd_config --
Match Group admins
  Include /etc/ssh/admins.conf
-- etc/ssh/admins.conf --
AllowTcpForwarding yes
`,
		keyword: "allowtcpforwarding", filesRead: 2,
		inMatch: []found{{Value: "yes", Path: "etc/ssh/admins.conf", Line: 1, Match: "Group admins", Included: true}},
	}, {
		name: "an Include loop stops at sshd's depth limit",
		fixture: `-- etc/ssh/sshd_config --
UsePAM yes
Include /etc/ssh/sshd_config
`,
		keyword: "usepam", global: &found{Value: "yes", Path: mainConfig, Line: 1},
		problems: 1, filesRead: maxIncludeDepth + 1,
	}, {
		name: "a symlinked drop-in directory is listed through the link",
		fixture: `symlink etc/ssh/sshd_config.d /srv/ssh.d
-- etc/ssh/sshd_config --
Include /etc/ssh/sshd_config.d/*.conf
-- srv/ssh.d/a.conf --
Banner /etc/issue.net
`,
		keyword: "banner", filesRead: 2,
		global: &found{Value: "/etc/issue.net", Path: "etc/ssh/sshd_config.d/a.conf", Line: 1, Included: true},
	}, {
		name: "missing includes and bad lines are skipped",
		fixture: `-- etc/ssh/sshd_config --
Include /etc/ssh/nothing.conf /etc/ssh/none.d/*.conf
Banner "/etc/unterminated
LogLevel
LogLevel INFO
`,
		keyword: "loglevel", global: &found{Value: "INFO", Path: mainConfig, Line: 4},
		problems: 2, filesRead: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadSSHD(root(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			var global *found
			if d, ok := c.global(tt.keyword); ok {
				f := toFound(d)
				global = &f
			}
			if diff := cmp.Diff(tt.global, global); diff != "" {
				t.Errorf("global(%q) mismatch (-want +got):\n%s", tt.keyword, diff)
			}
			var inMatch []found
			for _, d := range c.inMatch(tt.keyword) {
				inMatch = append(inMatch, toFound(d))
			}
			if diff := cmp.Diff(tt.inMatch, inMatch); diff != "" {
				t.Errorf("inMatch(%q) mismatch (-want +got):\n%s", tt.keyword, diff)
			}
			if len(c.Problems) != tt.problems || len(c.Files) != tt.filesRead {
				t.Errorf("problems = %v, files = %v; want %d problems, %d files", c.Problems, c.Files, tt.problems, tt.filesRead)
			}
		})
	}
}

func TestEffectiveList(t *testing.T) {
	const def = "a-ctr,b-gcm,c-cbc"
	tests := []struct {
		spec string
		want []string
	}{
		{spec: "x,y", want: []string{"x", "y"}},
		{spec: "+c-cbc,d-cbc", want: []string{"a-ctr", "b-gcm", "c-cbc", "d-cbc"}},
		{spec: "-*-cbc", want: []string{"a-ctr", "b-gcm"}},
		{spec: "-?-ctr,b-gcm", want: []string{"c-cbc"}},
		{spec: "^c-cbc", want: []string{"c-cbc", "a-ctr", "b-gcm"}},
		{spec: "", want: []string{"a-ctr", "b-gcm", "c-cbc"}},
	}
	for _, tt := range tests {
		if got := effectiveList(def, tt.spec); !cmp.Equal(got, tt.want) {
			t.Errorf("effectiveList(%q, %q) = %q, want %q", def, tt.spec, got, tt.want)
		}
	}
}

func TestParseSSHTime(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: "90", want: 90},
		{in: "1m", want: 60},
		{in: "1h30M", want: 5400},
		{in: "2w", want: 1209600},
		{in: "10s5", want: 15},
		{in: "", wantErr: true},
		{in: "m", wantErr: true},
		{in: "5y", wantErr: true},
		{in: "99999999999", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSSHTime(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want && !tt.wantErr {
			t.Errorf("parseSSHTime(%q) = %d, %v, want %d (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDpkgInstalled(t *testing.T) {
	tests := []struct {
		name, status string
		want         bool
	}{
		{name: "installed", status: "Package: openssh-server\nStatus: install ok installed\n", want: true},
		{name: "last stanza without newline", status: "Package: a\nStatus: install ok installed\n\nPackage: openssh-server\nstatus: install ok installed", want: true},
		{name: "removed, config files left", status: "Package: openssh-server\nStatus: deinstall ok config-files\n"},
		{name: "other package", status: "Package: openssh-client\nStatus: install ok installed\n"},
		{name: "description mentions it", status: "Package: x\nStatus: install ok installed\nDescription: y\n Package: openssh-server\n"},
		{name: "empty", status: ""},
	}
	for _, tt := range tests {
		if got := dpkgInstalled([]byte(tt.status), "openssh-server"); got != tt.want {
			t.Errorf("%s: dpkgInstalled(%q) = %v, want %v", tt.name, tt.status, got, tt.want)
		}
	}
}

func TestChecksWithoutServerAreNotApplicable(t *testing.T) {
	r := root(t, "-- etc/hostname --\nimage\n-- var/lib/dpkg/status --\nPackage: openssh-client\nStatus: install ok installed\n")
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil || len(rs) != 1 || rs[0].Status != config.NotApplicable {
			t.Errorf("%s on an image without sshd = %+v, %v; want one not-applicable result", c.ID, rs, err)
		}
	}
}

func TestKeywordsOutsideMatchListAreIgnoredInMatch(t *testing.T) {
	r := root(t, "-- etc/ssh/sshd_config --\nMatch User x\n  Ciphers 3des-cbc\n")
	for _, c := range Checks() {
		if c.ID != "ssh-weak-ciphers" {
			continue
		}
		rs, err := c.Run(context.Background(), r)
		if err != nil || len(rs) != 1 || rs[0].Status != config.Pass {
			t.Errorf("%s = %+v, %v; want the default list to pass (sshd rejects Ciphers in Match)", c.ID, rs, err)
		}
	}
}

func FuzzParseSSHDConfig(f *testing.F) {
	f.Add("PermitRootLogin no\nInclude extra.conf\n", "Match User a\nPasswordAuthentication yes\n")
	f.Add("Include /etc/ssh/sshd_config\n", "")
	f.Add("Banner \"x\\\" y\nCiphers -*cbc,^aes\nMaxStartups 1:2\n", "LoginGraceTime 1w2d3h4m5s\x00\xff")
	f.Add("Match all\nInclude *\nMACs +\n", "ClientAliveInterval 99999999999999\n")
	f.Fuzz(func(t *testing.T, main, extra string) {
		r, err := configtest.ParseFixture("fuzz", []byte(
			"-- etc/ssh/sshd_config --\n"+main+"\n-- etc/ssh/extra.conf --\n"+extra+"\n"))
		if err != nil {
			t.Skip()
		}
		c, err := loadSSHD(r)
		if err != nil {
			t.Fatalf("loadSSHD: %v", err)
		}
		for _, d := range c.Directives {
			if d.Keyword == "" || d.Keyword != strings.ToLower(d.Keyword) || len(d.Args) == 0 || d.Line < 1 {
				t.Fatalf("bad directive %+v", d)
			}
		}
		for _, chk := range Checks() {
			if _, err := chk.Run(context.Background(), r); err != nil {
				t.Fatalf("%s: %v", chk.ID, err)
			}
		}
	})
}

func TestRepeatedIncludesAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("-- etc/ssh/sshd_config --\nInclude /etc/ssh/f0.conf /etc/ssh/f0.conf\n")
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, "-- etc/ssh/f%d.conf --\nMaxSessions %d\nInclude /etc/ssh/f%d.conf /etc/ssh/f%d.conf\n", i, i, i+1, i+1)
	}
	c, err := loadSSHD(root(t, b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) > maxFiles || len(c.Problems) == 0 {
		t.Errorf("read %d files with %d problems, want at most %d files and a problem", len(c.Files), len(c.Problems), maxFiles)
	}
}
