package kubernetes

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// TestChecks pins the results of single checks on small Pods, as
// "status:line" strings. The pod header takes lines 1-4.
func TestChecks(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	tests := []struct {
		check, src string
		want       []string
	}{
		{"kubernetes-run-as-non-root", pod + "  securityContext: {runAsNonRoot: true}\n  containers:\n  - name: a\n    securityContext: {runAsUser: 0}\n",
			[]string{"fail:8"}},
		{"kubernetes-run-as-non-root", pod + "  securityContext: {runAsUser: 0}\n  containers:\n  - name: a\n    securityContext:\n      runAsUser: 1000\n",
			[]string{"pass:9"}},
		{"kubernetes-run-as-root-user", pod + "  containers:\n  - name: a\n", []string{"not applicable:0"}},
		{"kubernetes-privileged", pod + "  containers:\n  - name: a\n    securityContext:\n      privileged: \"true\"\n", []string{"fail:8"}},
		{"kubernetes-capabilities", pod + "  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        add: [cap_sys_ptrace]\n",
			[]string{"fail:9"}},
		{"kubernetes-allow-privilege-escalation", pod + "  containers:\n  - name: a\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {add: [SYS_ADMIN]}\n",
			[]string{"fail:9"}},
		{"kubernetes-resource-limits", pod + "  containers:\n  - name: a\n    resources: {limits: {cpu: 1, memory: 1Gi}}\n  ephemeralContainers:\n  - name: debug\n",
			[]string{"pass:7"}},
		{"kubernetes-latest-tag", pod + "  containers:\n  - name: a\n    image: \"{{ .Values.image }}\"\n  - name: b\n", []string{"not determinable statically:7"}},
		{"kubernetes-image-pull-policy", pod + "  containers:\n  - name: a\n    image: nginx\n  - name: b\n    image: nginx:1\n    imagePullPolicy: Always\n",
			[]string{"pass:7", "pass:10"}},
		{"kubernetes-seccomp-profile", pod + "  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n  containers:\n  - name: a\n  initContainers:\n  - name: i\n    securityContext:\n      seccompProfile: {type: Unconfined}\n",
			[]string{"pass:6", "fail:12"}},
		{"kubernetes-host-ports", pod + "  containers:\n  - name: a\n    ports: [{containerPort: 80, hostPort: 0}]\n", []string{"pass:7"}},
		{"kubernetes-secrets-in-env", pod + "  containers:\n  - name: a\n    env:\n    - {name: API_TOKEN, value: \"$(TOKEN_FROM_SECRET)\"}\n    - {name: PASSWORD_FILE, value: /run/s}\n",
			[]string{"pass:8"}},
		{"kubernetes-host-path-sensitive", pod + "  containers: [{name: a}]\n  volumes:\n  - name: s\n    hostPath: {path: /run/containerd/containerd.sock}\n  - name: t\n    hostPath: {path: /tmp/app.sock}\n",
			[]string{"fail:8", "pass:10"}},
	}
	run := map[string]config.Check{}
	for _, c := range Checks() {
		run[c.ID] = c
	}
	for _, tt := range tests {
		c, ok := run[tt.check]
		if !ok {
			t.Fatalf("no check %s", tt.check)
		}
		r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "p.yaml", Mode: 0o644, Size: int64(len(tt.src))}}, map[string][]byte{"p.yaml": []byte(tt.src)})
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Errorf("%s on %q: %v", tt.check, tt.src, err)
			continue
		}
		var got []string
		for _, res := range rs {
			got = append(got, fmt.Sprintf("%s:%d", res.Status, res.Line))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s on %q (-want +got):\n%s", tt.check, tt.src, diff)
		}
	}
}
