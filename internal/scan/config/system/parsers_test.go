package system

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseDpkgStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Package
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "installed, removed and half-configured",
			in: "Package: libc6\nStatus: install ok installed\nSource: glibc (2.36-9)\nVersion: 2.36-9+deb12u4\nDescription: GNU C\n library\n\n" +
				"Package: telnetd\nStatus: deinstall ok config-files\nVersion: 0.17\n\n" +
				"Package: tzdata\r\nStatus: install ok half-configured\r\nVersion: 2024a-0+deb12u1\r\n",
			want: []Package{{Name: "libc6", Version: "2.36-9+deb12u4", Source: "glibc", Line: 1},
				{Name: "tzdata", Version: "2024a-0+deb12u1", Line: 12}}},
		{name: "distroless status.d file has no Status", in: "Package: base-files\nVersion: 12.4\n",
			want: []Package{{Name: "base-files", Version: "12.4", Line: 1}}},
		{name: "field names are case-insensitive", in: "package: x\nSTATUS: install ok installed\n",
			want: []Package{{Name: "x", Line: 1}}},
		{name: "paragraph without Package", in: "Package: a\n\nVersion: 1\n", wantErr: "line 3: paragraph without a Package field"},
		{name: "bad Status", in: "Package: a\nStatus: installed\n", wantErr: `line 2: Status "installed"`},
		{name: "junk line", in: "Package: a\nthis is not a field\n", wantErr: "line 2: want \"Field: value\""},
		{name: "continuation first", in: " leading\n", wantErr: "line 1: continuation line outside a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDpkgStatus([]byte(tt.in))
			checkErr(t, "parseDpkgStatus", tt.in, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); tt.wantErr == "" && diff != "" {
				t.Errorf("parseDpkgStatus(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseApkInstalled(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Package
		wantErr string
	}{
		{name: "empty", in: "\n", want: nil},
		{name: "two packages",
			in: "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\nC:Q1def=\nP:libcrypto3\nV:3.1.4-r5\no:openssl\n",
			want: []Package{{Name: "musl", Version: "1.2.4-r2", Source: "musl", Line: 2},
				{Name: "libcrypto3", Version: "3.1.4-r5", Source: "openssl", Line: 10}}},
		{name: "entry without P", in: "V:1.0\n\n", wantErr: "line 1: package entry without a P: line"},
		{name: "entry without P at end of file", in: "P:a\n\nV:1.0", wantErr: "line 3: package entry without a P: line"},
		{name: "bad line", in: "P:a\nnot a key\n", wantErr: `line 2: want "K:value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseApkInstalled([]byte(tt.in))
			checkErr(t, "parseApkInstalled", tt.in, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); tt.wantErr == "" && diff != "" {
				t.Errorf("parseApkInstalled(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseFstab(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []mount
		wantErr string
	}{
		{name: "unconfigured", in: "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n", want: nil},
		{name: "mounts",
			in: "UUID=abc / ext4 errors=remount-ro 0 1\n\ntmpfs /tmp tmpfs nosuid,nodev,noexec 0 0 # scratch\n/dev/sdb1 /mnt/my\\040disk vfat\n",
			want: []mount{{Spec: "UUID=abc", Dir: "/", Type: "ext4", Options: []string{"errors=remount-ro"}, Line: 1},
				{Spec: "tmpfs", Dir: "/tmp", Type: "tmpfs", Options: []string{"nosuid", "nodev", "noexec"}, Line: 3},
				{Spec: "/dev/sdb1", Dir: "/mnt/my disk", Type: "vfat", Line: 4}}},
		{name: "bad escape kept", in: "a /x\\09 b\n", want: []mount{{Spec: "a", Dir: `/x\09`, Type: "b", Line: 1}}},
		{name: "short line", in: "tmpfs /tmp\n", wantErr: "line 1: want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFstab([]byte(tt.in))
			checkErr(t, "parseFstab", tt.in, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); tt.wantErr == "" && diff != "" {
				t.Errorf("parseFstab(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseAptConf(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []aptOption
		wantErr string
	}{
		{name: "flat", in: `APT::Get::AllowUnauthenticated "true";` + "\n",
			want: []aptOption{{Name: "APT::Get::AllowUnauthenticated", Value: "true", Line: 1}}},
		{name: "nested with comments and lists",
			in: "// c\n/* block\ncomment */ APT {\n  Get { AllowUnauthenticated \"1\"; };\n};\n# hash comment\n" +
				"DPkg::Post-Invoke { \"rm -f x\"; \"true\"; };\n#include \"other.conf\";\nAcquire::Retries 3;\n",
			want: []aptOption{{Name: "APT::Get::AllowUnauthenticated", Value: "1", Line: 4},
				{Name: "DPkg::Post-Invoke", Value: "rm -f x", Line: 7}, {Name: "DPkg::Post-Invoke", Value: "true", Line: 7},
				{Name: "Acquire::Retries", Value: "3", Line: 9}}},
		{name: "scope with ::", in: "Binary::apt-get::APT::Get { AllowUnauthenticated \"yes\"; };",
			want: []aptOption{{Name: "Binary::apt-get::APT::Get::AllowUnauthenticated", Value: "yes", Line: 1}}},
		{name: "missing final semicolon", in: "A::B \"x\"", want: []aptOption{{Name: "A::B", Value: "x", Line: 1}}},
		{name: "unclosed string", in: "A \"x;\n", wantErr: "line 1: string is not closed"},
		{name: "unclosed comment", in: "\n/* x", wantErr: "line 2: comment is not closed"},
		{name: "unmatched brace", in: "A \"x\";\n};", wantErr: "line 2: '}' without a matching '{'"},
		{name: "unclosed block", in: "APT { Get {", wantErr: `"APT::Get" block is not closed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAptConf([]byte(tt.in))
			checkErr(t, "parseAptConf", tt.in, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); tt.wantErr == "" && diff != "" {
				t.Errorf("parseAptConf(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseSourcesList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []sourceEntry
		wantErr string
	}{
		{name: "plain and with options",
			in: "# comment\ndeb http://deb.debian.org/debian bookworm main\ndeb-src [ arch=amd64 trusted=yes ] http://x/ y z\ndeb [allow-insecure+=yes] http://w/ v\n",
			want: []sourceEntry{{Options: map[string]string{}, URI: "http://deb.debian.org/debian", Line: 2},
				{Options: map[string]string{"arch": "amd64", "trusted": "yes"}, URI: "http://x/", Line: 3},
				{Options: map[string]string{"allow-insecure": "yes"}, URI: "http://w/", Line: 4}}},
		{name: "not deb", in: "rpm http://x/ y\n", wantErr: `line 1: want deb or deb-src, got "rpm"`},
		{name: "unclosed options", in: "deb [trusted=yes http://x/ y\n", wantErr: "line 1: options '[' without ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSourcesList([]byte(tt.in))
			checkErr(t, "parseSourcesList", tt.in, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(sourceEntry{})); tt.wantErr == "" && diff != "" {
				t.Errorf("parseSourcesList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseSources(t *testing.T) {
	in := "Types: deb\nURIs: http://a/\nSuites: s\nTrusted: yes\n\n# off\nTypes: deb\nURIs: http://b/\nEnabled: no\nAllow-Insecure: yes\n"
	got, err := parseSources([]byte(in))
	if err != nil {
		t.Fatalf("parseSources(%q) error %v", in, err)
	}
	if len(got) != 1 || got[0].URI != "http://a/" || got[0].Options["trusted"] != "yes" || got[0].line("trusted") != 4 {
		t.Errorf("parseSources(%q) = %+v, want one entry for http://a/ with Trusted: yes on line 4", in, got)
	}
}

func TestParseINI(t *testing.T) {
	in := "# c\n[main]\ngpgcheck = 1\n; c\nnot a setting\n[repo one]\nbaseurl=http://x/\n  http://y/\nenabled=0\n"
	want := []setting{{Section: "main", Key: "gpgcheck", Value: "1", Line: 3},
		{Section: "repo one", Key: "baseurl", Value: "http://x/", Line: 7}, {Section: "repo one", Key: "enabled", Value: "0", Line: 9}}
	if diff := cmp.Diff(want, parseINI([]byte(in))); diff != "" {
		t.Errorf("parseINI(%q) mismatch (-want +got):\n%s", in, diff)
	}
}

func TestParseXinetd(t *testing.T) {
	in := "defaults\n{\n}\nservice telnet\n{\n\tdisable = yes # off\n}\nservice shell\n{\n\tdisable=no\n}\nservice tftp\n{\n}\n"
	want := []xinetdService{{name: "telnet", line: 4, disabled: true}, {name: "shell", line: 8}, {name: "tftp", line: 12}}
	if diff := cmp.Diff(want, parseXinetd([]byte(in)), cmp.AllowUnexported(xinetdService{})); diff != "" {
		t.Errorf("parseXinetd(%q) mismatch (-want +got):\n%s", in, diff)
	}
}

func TestCountAuditRules(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"-D\n-b 8192\n--backlog_wait_time 60000\n-f 1\n", 0},
		{"-a never,task\n-a task,never\n", 0},
		{"-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S adjtimex -k time\n-A exit,always -S mount\n# -w /x\n", 3},
	}
	for _, tt := range tests {
		if got := countAuditRules([]byte(tt.in)); got != tt.want {
			t.Errorf("countAuditRules(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func checkErr(t *testing.T, fn, in string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("%s(%q) error %v, want none", fn, in, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("%s(%q) error %v, want one containing %q", fn, in, err, want)
	}
}
