package kubernetes

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

// TestRealWorld runs every check over manifests of real-world shape and
// pins every result that is not a pass: "check status path:line".
func TestRealWorld(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string
	}{
		{
			fixture: "realworld-helm-rendered.txtar",
			want: []string{
				"kubernetes-allow-privilege-escalation fail rendered/web.yaml:48",
				"kubernetes-capabilities-drop-all fail rendered/web.yaml:48",
				"kubernetes-default-namespace fail rendered/web.yaml:32",
				"kubernetes-image-pull-policy fail rendered/web.yaml:51",
				"kubernetes-read-only-root-fs fail rendered/web.yaml:48",
				"kubernetes-resource-limits fail rendered/web.yaml:63",
				"kubernetes-resource-requests fail rendered/web.yaml:63",
				"kubernetes-run-as-non-root fail rendered/web.yaml:48",
				"kubernetes-seccomp-profile fail rendered/web.yaml:48",
				"kubernetes-secrets-in-env fail rendered/web.yaml:57",
				"kubernetes-service-account-token fail rendered/web.yaml:42",
			},
		},
		{
			fixture: "realworld-hardened.txtar",
			want:    []string{},
		},
	}
	for _, tt := range tests {
		for _, crlf := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/crlf=%v", tt.fixture, crlf), func(t *testing.T) {
				var r rootfs.Root = configtest.LoadRoot(t, filepath.Join("testdata", tt.fixture))
				if crlf {
					r = withCRLF(t, r)
				}
				got := configtest.Problems(t, Checks(), r)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("findings on %s (-want +got):\n%s", tt.fixture, diff)
				}
			})
		}
	}
}

// withCRLF returns a copy of r whose YAML files end lines with CRLF.
func withCRLF(t *testing.T, r rootfs.Root) rootfs.Root {
	t.Helper()
	var entries []rootfs.Entry
	contents := map[string][]byte{}
	for _, e := range r.Entries() {
		if e.Mode.IsRegular() {
			data, err := r.ReadFile(e.Path)
			if err != nil {
				t.Fatal(err)
			}
			contents[e.Path] = []byte(strings.ReplaceAll(string(data), "\n", "\r\n"))
			e.Size = int64(len(contents[e.Path]))
		}
		entries = append(entries, e)
	}
	return rootfs.NewMemRoot(entries, contents)
}

// TestMessagesRedact: literal secrets in manifests appear only redacted.
func TestMessagesRedact(t *testing.T) {
	const secret = "s3cr3t-Passw0rd-value"
	src := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x:1\n    env:\n" +
		"    - {name: API_TOKEN, value: " + secret + "}\n    - {name: DSN, value: 'postgres://u:" + secret + "@db/x'}\n"
	r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "p.yaml", Mode: 0o644, Size: int64(len(src))}}, map[string][]byte{"p.yaml": []byte(src)})
	fails := 0
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		for _, res := range rs {
			if c.ID == "kubernetes-secrets-in-env" && res.Status == config.Fail {
				fails++
			}
			if strings.Contains(res.Message, secret[:8]) {
				t.Errorf("%s message %q shows the secret", c.ID, res.Message)
			}
		}
	}
	if fails != 1 {
		t.Errorf("kubernetes-secrets-in-env failed %d times, want once (the first secret of the container)", fails)
	}
}

// TestNoManifest: every check says NotApplicable, once, on a tree without
// manifests.
func TestNoManifest(t *testing.T) {
	src := "name: ci\non: [push]\njobs: {}\n"
	r := rootfs.NewMemRoot([]rootfs.Entry{{Path: ".github/workflows/ci.yml", Mode: 0o644, Size: int64(len(src))}},
		map[string][]byte{".github/workflows/ci.yml": []byte(src)})
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil || len(rs) != 1 || rs[0].Status != config.NotApplicable {
			t.Errorf("%s on a tree without manifests = %v, %v, want one not applicable", c.ID, rs, err)
		}
	}
}
