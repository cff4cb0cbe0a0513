package auth

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

func TestParseLoginDefs(t *testing.T) {
	in := "# PASS_MAX_DAYS 1\n" +
		"PASS_MAX_DAYS\t99999\n" +
		"  UMASK 027   # trailing words are ignored\n" +
		"ENV_SUPATH\t\"PATH=/usr/sbin:/usr/bin\"\n" +
		"LONELY\n" +
		"PASS_MAX_DAYS 90\n"
	want := settings{
		"PASS_MAX_DAYS": {Value: "90", Path: "l", Line: 6},
		"UMASK":         {Value: "027", Path: "l", Line: 3},
		"ENV_SUPATH":    {Value: "PATH=/usr/sbin:/usr/bin", Path: "l", Line: 4},
	}
	if diff := cmp.Diff(want, parseLoginDefs("l", []byte(in))); diff != "" {
		t.Errorf("parseLoginDefs(%q) mismatch (-want +got):\n%s", in, diff)
	}
}

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		in   string
		want settings
	}{
		{in: "minlen = 14", want: settings{"minlen": {Value: "14", Line: 1}}},
		{in: "minlen=14", want: settings{"minlen": {Value: "14", Line: 1}}},
		{in: "  minlen   14  ", want: settings{"minlen": {Value: "14", Line: 1}}},
		{in: "enforce_for_root", want: settings{"enforce_for_root": {Line: 1}}},
		{in: "deny = 3 # three strikes\n# deny = 9", want: settings{"deny": {Value: "3", Line: 1}}},
		{in: "INACTIVE=\"30\"\nINACTIVE=-1", want: settings{"INACTIVE": {Value: "-1", Line: 2}}},
		{in: "\n\n#only comments\n", want: settings{}},
	}
	for _, tt := range tests {
		got := settings{}
		parseKeyValues("", []byte(tt.in), got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseKeyValues(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParsePAM(t *testing.T) {
	in := "#%PAM-1.0\n" +
		"password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt # comment\n" +
		"-session optional /lib/x86_64-linux-gnu/security/pam_systemd.so\n" +
		"auth required pam_faillock.so preauth \\\n" +
		"    deny=4 unlock_time=900\n" +
		"@include common-auth\n" +
		"Password Include system-auth\n" +
		"account required\n"
	want := []pamLine{
		{Type: "password", Control: "[success=1 default=ignore]", Module: "pam_unix.so", Args: []string{"obscure", "yescrypt"}, Path: "p", Line: 2},
		{Type: "session", Control: "optional", Module: "pam_systemd.so", Args: []string{}, Path: "p", Line: 3},
		{Type: "auth", Control: "required", Module: "pam_faillock.so", Args: []string{"preauth", "deny=4", "unlock_time=900"}, Path: "p", Line: 4},
		{Type: "@include", Control: "include", Module: "common-auth", Path: "p", Line: 6},
		{Type: "password", Control: "include", Module: "system-auth", Args: []string{}, Path: "p", Line: 7},
	}
	if diff := cmp.Diff(want, parsePAM("p", []byte(in))); diff != "" {
		t.Errorf("parsePAM(%q) mismatch (-want +got):\n%s", in, diff)
	}
}

func TestPAMStack(t *testing.T) {
	r := root(t, `-- etc/pam.d/passwd --
@include common-password
password optional pam_gnome_keyring.so
-- etc/pam.d/common-password --
auth required pam_env.so
password requisite pam_pwquality.so retry=3
password substack extra
password include missing
password include loop
-- etc/pam.d/extra --
password required pam_pwhistory.so remember=5
-- etc/pam.d/loop --
password include loop
`)
	rules, ok, err := pamStack(r, "passwd", "password")
	if err != nil || !ok {
		t.Fatalf("pamStack = %v, %v", ok, err)
	}
	var got []string
	for _, l := range rules {
		got = append(got, l.Module+"@"+l.where())
	}
	want := []string{
		"pam_pwquality.so@etc/pam.d/common-password:2",
		"pam_pwhistory.so@etc/pam.d/extra:1",
		"pam_gnome_keyring.so@etc/pam.d/passwd:2",
	}
	if !cmp.Equal(got, want) {
		t.Errorf("pamStack(passwd, password) = %q, want %q", got, want)
	}
	if _, ok, _ := pamStack(r, "sshd", "auth"); ok {
		t.Errorf("pamStack(sshd) found a missing service")
	}
}

func TestHashScheme(t *testing.T) {
	tests := []struct {
		hash string
		name string
		weak bool
	}{
		{"$y$j9T$salt$hash", "yescrypt", false},
		{"$6$rounds=5000$salt$hash", "SHA-512-crypt", false},
		{"$2b$12$abcdefghijklmnopqrstuv", "bcrypt", false},
		{"$1$salt$hash", "MD5-crypt", true},
		{"abCDefGHijKLm", "traditional DES", true},
		{"_J9..salt", "BSDi extended DES", true},
		{"$9$unknown", "unrecognised scheme", false},
	}
	for _, tt := range tests {
		if name, weak := hashScheme(tt.hash); name != tt.name || weak != tt.weak {
			t.Errorf("hashScheme(%q) = %q, %v, want %q, %v", tt.hash, name, weak, tt.name, tt.weak)
		}
	}
}

func TestChecksOnEmptyImageAreNotApplicable(t *testing.T) {
	r := root(t, "-- etc/hostname --\nimage\n")
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil || len(rs) != 1 || rs[0].Status != config.NotApplicable {
			t.Errorf("%s on an image without account files = %+v, %v; want one not-applicable result", c.ID, rs, err)
		}
	}
}

func TestChecksNeverPrintHashes(t *testing.T) {
	const hash = "$6$saltsalt$Q9mN3xK7hash"
	r := root(t, "-- etc/shadow --\nroot:"+hash+":19700:0:99999:7:::\n"+
		"-- etc/passwd --\nroot:x:0:0::/root:/bin/sh\nold:"+hash+":1:1::/:/bin/sh\nlocked:!"+hash+":2:2::/:/bin/sh\n")
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		for _, res := range rs {
			for _, part := range []string{"saltsalt", "Q9mN3xK7"} {
				if strings.Contains(res.Message, part) {
					t.Errorf("%s reports a hash: %q", c.ID, res.Message)
				}
			}
		}
	}
}

func FuzzParseLoginDefs(f *testing.F) {
	f.Add("PASS_MAX_DAYS 99999\nUMASK\t022\nENCRYPT_METHOD \"SHA512\n")
	f.Add("minlen = 14\n#\n=\nx=\n\x00\xff")
	f.Fuzz(func(t *testing.T, data string) {
		for _, v := range parseLoginDefs("l", []byte(data)) {
			if v.Line < 1 {
				t.Fatalf("bad line %+v", v)
			}
		}
		s := settings{}
		parseKeyValues("k", []byte(data), s)
		for k, v := range s {
			if k == "" || v.Line < 1 {
				t.Fatalf("bad setting %q %+v", k, v)
			}
		}
	})
}

func FuzzParsePAM(f *testing.F) {
	f.Add("password [success=1 default=ignore pam_unix.so \\\n nullok\n@include\n-auth")
	f.Add("auth include auth\n@include common-auth\n")
	f.Fuzz(func(t *testing.T, data string) {
		r, err := configtest.ParseFixture("fuzz", []byte("-- etc/pam.d/common-auth --\n"+data+
			"\n-- etc/pam.d/passwd --\n"+data+"\n-- etc/pam.d/auth --\n"+data+"\n"))
		if err != nil {
			t.Skip()
		}
		for _, c := range Checks() {
			if _, err := c.Run(context.Background(), r); err != nil {
				t.Fatalf("%s: %v", c.ID, err)
			}
		}
	})
}

func FuzzParseAccounts(f *testing.F) {
	f.Add("root:x:0:0:root:/root:/bin/bash\n+::::::\nbad\n", "root::1:2:3:4:5::\n")
	f.Add("a:b:c:d\n::::::\n", ":\n\n#x")
	f.Fuzz(func(t *testing.T, passwd, shadow string) {
		r, err := configtest.ParseFixture("fuzz", []byte("-- etc/passwd --\n"+passwd+
			"\n-- etc/shadow --\n"+shadow+"\n-- etc/group --\n"+passwd+"\n-- etc/login.defs --\n"+shadow+"\n"))
		if err != nil {
			t.Skip()
		}
		for _, c := range Checks() {
			if _, err := c.Run(context.Background(), r); err != nil {
				t.Fatalf("%s: %v", c.ID, err)
			}
		}
	})
}

func TestPAMIncludesAreBounded(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "-- etc/pam.d/s%d --\npassword required pam_unix.so\npassword include s%d\n@include s%d\n", i, i+1, i+1)
	}
	rules, ok, err := pamStack(root(t, b.String()), "s0", "password")
	if err != nil || !ok {
		t.Fatalf("pamStack = %v, %v", ok, err)
	}
	if len(rules) > maxPAMFiles {
		t.Errorf("pamStack expanded %d rules, want at most %d", len(rules), maxPAMFiles)
	}
}

func TestComplexityResults(t *testing.T) {
	const stack = "-- etc/pam.d/common-password --\n"
	tests := []struct {
		name, fixture string
		want          config.Status
	}{
		{name: "three negative credits", want: config.Pass,
			fixture: stack + "password requisite pam_pwquality.so dcredit=-1 ucredit=-1 ocredit=-1\n"},
		{name: "two negative credits", want: config.Fail,
			fixture: stack + "password requisite pam_pwquality.so dcredit=-1 ucredit=-1 ocredit=1\n"},
		{name: "argument overrides the file", want: config.Fail,
			fixture: stack + "password requisite pam_pwquality.so minclass=1\n-- etc/security/pwquality.conf --\nminclass = 4\n"},
		{name: "optional module", want: config.Fail,
			fixture: stack + "password optional pam_pwquality.so minclass=4\n"},
		{name: "cracklib ignores pwquality.conf", want: config.Fail,
			fixture: stack + "password required pam_cracklib.so\n-- etc/security/pwquality.conf --\nminclass = 4\n"},
		{name: "no PAM, login.defs only", want: config.Fail,
			fixture: "-- etc/login.defs --\nPASS_MIN_LEN 20\n"},
	}
	for _, tt := range tests {
		rs, err := complexityResults(context.Background(), root(t, tt.fixture))
		if err != nil || len(rs) != 1 || rs[0].Status != tt.want {
			t.Errorf("%s: complexityResults = %+v, %v; want one %s", tt.name, rs, err, tt.want)
		}
	}
}

func TestMinLengthAndHashing(t *testing.T) {
	const stack = "-- etc/pam.d/common-password --\n"
	tests := []struct {
		name, fixture string
		run           runFunc
		want          []config.Status
	}{
		{name: "pam_unix minlen", run: minLengthResults, want: []config.Status{config.Pass},
			fixture: stack + "password [success=1 default=ignore] pam_unix.so obscure minlen=16 yescrypt\n"},
		{name: "cracklib default 9", run: minLengthResults, want: []config.Status{config.Fail},
			fixture: stack + "password required pam_cracklib.so retry=3\n"},
		{name: "login.defs without PAM", run: minLengthResults, want: []config.Status{config.Pass},
			fixture: "-- etc/login.defs --\nPASS_MIN_LEN 14\n"},
		{name: "pam_unix without a hash option inherits ENCRYPT_METHOD", run: hashingResults,
			want:    []config.Status{config.Pass, config.Pass},
			fixture: "-- etc/login.defs --\nENCRYPT_METHOD SHA512\n" + stack + "password required pam_unix.so obscure\n"},
		{name: "MD5_CRYPT_ENAB without ENCRYPT_METHOD", run: hashingResults,
			want:    []config.Status{config.Fail, config.Fail},
			fixture: "-- etc/login.defs --\nMD5_CRYPT_ENAB yes\n" + stack + "password required pam_unix.so obscure\n"},
		{name: "last hash option wins", run: hashingResults, want: []config.Status{config.Pass},
			fixture: stack + "password required pam_unix.so md5 sha512\n"},
	}
	for _, tt := range tests {
		rs, err := tt.run(context.Background(), root(t, tt.fixture))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []config.Status
		for _, r := range rs {
			got = append(got, r.Status)
		}
		if !cmp.Equal(got, tt.want) {
			t.Errorf("%s = %v, want %v (%+v)", tt.name, got, tt.want, rs)
		}
	}
}
