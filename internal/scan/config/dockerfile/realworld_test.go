package dockerfile

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

// TestRealWorld runs every check over Dockerfiles of real-world shape and
// pins every result that is not a pass: "check status path:line".
func TestRealWorld(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string
	}{
		{
			fixture: "realworld-go-service.txtar",
			want:    []string{"dockerfile-secrets-env-arg fail Dockerfile:26"},
		},
		{
			fixture: "realworld-node-legacy.txtar",
			want: []string{
				"dockerfile-add-instead-of-copy fail Dockerfile:7",
				"dockerfile-apt-get-update-alone fail Dockerfile:3",
				"dockerfile-apt-lists-cleanup fail Dockerfile:4",
				"dockerfile-apt-no-install-recommends fail Dockerfile:4",
				"dockerfile-cd-in-run fail Dockerfile:8",
				"dockerfile-chmod-777 fail Dockerfile:9",
				"dockerfile-copy-all-context fail Dockerfile:7",
				"dockerfile-curl-pipe-shell fail Dockerfile:5",
				"dockerfile-expose-ssh fail Dockerfile:10",
				"dockerfile-healthcheck fail Dockerfile:1",
				"dockerfile-latest-tag fail Dockerfile:1",
				"dockerfile-maintainer fail Dockerfile:2",
				"dockerfile-root-user fail Dockerfile:1",
				"dockerfile-workdir-relative fail Dockerfile:6",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			r := configtest.LoadRoot(t, filepath.Join("testdata", tt.fixture))
			got := configtest.Problems(t, Checks(), r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings on %s (-want +got):\n%s", tt.fixture, diff)
			}
		})
	}
}

// TestMessagesRedact holds messages and errors to the rule that secrets
// from a Dockerfile never appear in full.
func TestMessagesRedact(t *testing.T) {
	const secret = "s3cr3t-Passw0rd-value"
	tests := []struct {
		name       string
		dockerfile string
	}{
		{"env literal", "FROM alpine:3.20\nENV DB_PASSWORD=" + secret + "\n"},
		{"arg literal", "FROM alpine:3.20\nARG API_TOKEN=\"" + secret + "\"\n"},
		{"url userinfo", "FROM alpine:3.20\nADD https://bot:" + secret + "@example.com/x.tgz?sig=" + secret + " /x\n"},
		{"url in env", "FROM alpine:3.20\nENV DSN=mysql://root:" + secret + "@db/app\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "Dockerfile", Mode: 0o644, Size: int64(len(tt.dockerfile))}},
				map[string][]byte{"Dockerfile": []byte(tt.dockerfile)})
			failed := false
			for _, c := range Checks() {
				rs, err := c.Run(context.Background(), r)
				if err != nil {
					t.Fatalf("%s: %v", c.ID, err)
				}
				for _, res := range rs {
					failed = failed || res.Status == config.Fail
					if strings.Contains(res.Message, secret[:8]) {
						t.Errorf("%s message %q shows the secret", c.ID, res.Message)
					}
				}
			}
			if !failed {
				t.Errorf("no check failed on %q", tt.dockerfile)
			}
		})
	}
}
