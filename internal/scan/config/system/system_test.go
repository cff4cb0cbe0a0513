package system

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

func TestFixtures(t *testing.T) { configtest.CheckFixtures(t, Checks(), "testdata") }

// TestMessages pins what failing fixtures say, so that a finding tells the
// reader what was found and where without opening the image.
func TestMessages(t *testing.T) {
	tests := []struct {
		check string
		want  []string // "path:line message" of each failure, in order
	}{
		{"system-telnet-server", []string{"var/lib/dpkg/status:16 telnetd 0.17+2.4-2 is installed (telnet server)",
			"etc/inetd.conf:2 inetd service telnet is started at boot"}},
		{"system-rsh-server", []string{"usr/sbin/in.rshd:0 usr/sbin/in.rshd is present (rsh/rlogin/rexec server)",
			"etc/xinetd.d/rsh:2 xinetd service shell is started at boot"}},
		{"system-nis", []string{"var/lib/dpkg/status:16 nis 4.4 is installed (NIS), not started at boot"}},
		{"system-legacy-clients", []string{"var/lib/dpkg/status:16 telnet 0.17+2.4-2 is installed (clear-text protocol client)",
			"var/lib/dpkg/status:24 ftp 20230507-2 is installed (clear-text protocol client)"}},
		{"system-logging", []string{"etc/systemd/journald.conf.d/10-volatile.conf:2 journald Storage=volatile " +
			"(etc/systemd/journald.conf.d/10-volatile.conf:2) does not keep logs on disk, and no syslog daemon is installed"}},
		{"system-var-tmp-mount", []string{`etc/fstab:3 /var/tmp is mounted without nodev,noexec (options "defaults,nosuid")`}},
		{"system-apt-signatures", []string{
			`etc/apt/apt.conf.d/99insecure:9 Acquire::AllowInsecureRepositories "1": APT accepts repositories without a valid signature`,
			`etc/apt/apt.conf.d/99insecure:6 APT::Get::AllowUnauthenticated "true": APT installs unsigned packages`,
			"etc/apt/sources.list:2 trusted=yes on http://apt.example.com/: APT turns off signature checking for the repository",
			"etc/apt/sources.list.d/vendor.sources:5 allow-insecure=yes on https://pkgs.example.net/apt: APT accepts the repository without a valid signature"}},
		{"system-yum-gpgcheck", []string{"etc/yum.repos.d/internal.repo:5 [internal] gpgcheck=0: packages are installed unverified"}},
		{"system-core-dumps", []string{`etc/security/limits.conf:0 no "* hard core 0" in limits.conf or limits.d: users' processes may dump core`,
			"etc/systemd/coredump.conf:0 systemd-coredump Storage=external (the default): dumps of every crashing process are kept"}},
	}
	checks := map[string]config.Check{}
	for _, c := range Checks() {
		checks[c.ID] = c
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			file := "testdata/" + tt.check + "/fail.txtar"
			rs, err := checks[tt.check].Run(context.Background(), configtest.LoadRoot(t, file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				if r.Status == config.Fail {
					got = append(got, fmt.Sprintf("%s:%d %s", r.Path, r.Line, r.Message))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s on %s: failures mismatch (-want +got):\n%s", tt.check, file, diff)
			}
		})
	}
}
