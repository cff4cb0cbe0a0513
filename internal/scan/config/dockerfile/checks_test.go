package dockerfile

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChecks pins the results of single checks on small Dockerfiles, as
// "status:line" strings.
func TestChecks(t *testing.T) {
	tests := []struct {
		check, src string
		want       []string
	}{
		{"dockerfile-apt-no-install-recommends", "FROM debian:12\nRUN [\"apt-get\", \"install\", \"-y\", \"curl\"]\n", []string{"fail:2"}},
		{"dockerfile-apt-no-install-recommends", "FROM debian:12\nRUN <<EOF\nset -e\napt-get update\napt-get install -y curl\nEOF\n", []string{"fail:2"}},
		{"dockerfile-apt-no-install-recommends", "FROM debian:12\nRUN python3 <<EOF\nos.system('apt-get install x')\nEOF\n", []string{"not applicable:0"}},
		{"dockerfile-apt-no-install-recommends", "FROM debian:12\nRUN bash -ec 'apt-get install -y --no-install-recommends x'\n", []string{"pass:2"}},
		{"dockerfile-apt-lists-cleanup", "FROM debian:12\nRUN set -eux; apt-get update; apt-get install -y x; rm -rf /var/lib/apt/lists/*\n", []string{"pass:2"}},
		{"dockerfile-apt-lists-cleanup", "FROM debian:12\nRUN apt-get update && apt-get install -y x && echo rm -rf /var/lib/apt/lists/*\n", []string{"fail:2"}},
		{"dockerfile-apt-get-update-alone", "FROM debian:12\nRUN apt-get update && apt-get -y upgrade\n", []string{"pass:2"}},
		{"dockerfile-root-user", "FROM alpine:3\nARG UID\nUSER ${UID}\n", []string{"not determinable statically:3"}},
		{"dockerfile-root-user", "FROM alpine:3 AS base\nUSER app\nFROM base\nRUN id\n", []string{"pass:2"}},
		{"dockerfile-root-user", "FROM alpine:3\nUSER 1000\nFROM alpine:3\n", []string{"fail:3"}},
		{"dockerfile-latest-tag", "ARG BASE\nFROM ${BASE}\n", []string{"not determinable statically:2"}},
		{"dockerfile-latest-tag", "FROM registry.example.com:5000/team/app:1.2@sha256:abc\n", []string{"pass:1"}},
		{"dockerfile-latest-tag", "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  C:\\\n", []string{"pass:2"}},
		{"dockerfile-curl-pipe-shell", "FROM alpine:3\nRUN wget -qO- https://x/i.sh | sudo -E sh -s -- -y\n", []string{"fail:2"}},
		{"dockerfile-curl-pipe-shell", "FROM alpine:3\nRUN curl -fsSL https://x/key.asc | gpg --dearmor -o /k.gpg\n", []string{"pass:2"}},
		{"dockerfile-curl-pipe-shell", "FROM alpine:3\nRUN bash <(curl -s https://x/i.sh)\n", []string{"fail:2"}},
		{"dockerfile-sudo", "FROM alpine:3\nRUN echo sudo && A=1 sudo -u app id\n", []string{"fail:2"}},
		{"dockerfile-cd-in-run", "FROM alpine:3\nRUN make -C /src && echo cd\n", []string{"pass:2"}},
		{"dockerfile-chmod-777", "FROM alpine:3\nRUN chmod -R a+rwX /data\nCOPY --chmod=1777 x /tmp/x\n", []string{"fail:2", "pass:3"}},
		{"dockerfile-pip-no-cache", "FROM python:3\nRUN --mount=type=cache,target=/root/.cache pip install x\n", []string{"pass:2"}},
		{"dockerfile-pip-no-cache", "FROM python:3\nRUN pip --no-cache-dir install x && pip3.12 install y\n", []string{"pass:2"}},
		{"dockerfile-yum-clean", "FROM fedora:40\nRUN dnf install -y x && rm -rf /var/cache/dnf\n", []string{"pass:2"}},
		{"dockerfile-add-url", "FROM alpine:3\nADD https://github.com/moby/buildkit.git#v0.14.0 /src\n", []string{"fail:2"}},
		{"dockerfile-add-instead-of-copy", "FROM alpine:3\nADD <<EOF /etc/motd\nhello\nEOF\n", []string{"fail:2"}},
		{"dockerfile-secrets-env-arg", "FROM alpine:3\nENV PASSWORD=${PASSWORD:-hunter2}\nARG TOKEN=$CI_TOKEN\n", []string{"fail:2", "pass:3"}},
		{"dockerfile-secrets-env-arg", "FROM alpine:3\nLABEL password=x\nENV PATH=/usr/local/bin:$PATH\n", []string{"not applicable:0"}},
		{"dockerfile-expose-ssh", "FROM alpine:3\nEXPOSE 2222 8022/udp\n", []string{"pass:2"}},
		{"dockerfile-workdir-relative", "FROM alpine:3\nWORKDIR $HOME/app\n", []string{"pass:2"}}, // unset variables expand to ""
		{"dockerfile-workdir-relative", "FROM alpine:3\nWORKDIR ${DIR}\n", []string{"not applicable:0"}},
		{"dockerfile-multiple-cmd", "FROM alpine:3\nCMD a\nCMD b\nCMD c\n", []string{"fail:2", "fail:3", "pass:4"}},
	}
	checks := map[string]func(string) ([]string, error){}
	for _, c := range Checks() {
		checks[c.ID] = func(src string) ([]string, error) {
			rs, err := c.Run(context.Background(), memRoot("Dockerfile", src))
			var out []string
			for _, r := range rs {
				out = append(out, fmt.Sprintf("%s:%d", r.Status, r.Line))
			}
			return out, err
		}
	}
	for _, tt := range tests {
		run, ok := checks[tt.check]
		if !ok {
			t.Fatalf("no check %s", tt.check)
		}
		got, err := run(tt.src)
		if err != nil {
			t.Errorf("%s on %q: %v", tt.check, tt.src, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s on %q (-want +got):\n%s", tt.check, tt.src, diff)
		}
	}
}
