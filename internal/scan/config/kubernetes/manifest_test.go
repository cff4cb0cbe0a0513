package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// walk loads one file and describes its workloads: "Kind name @line" for
// each workload (the line of its kind), then "  list/name @line" for each
// container (the line of its entry), then "note LINE: message".
func walk(t *testing.T, name, src string) ([]string, error) {
	t.Helper()
	r := rootfs.NewMemRoot([]rootfs.Entry{{Path: name, Mode: 0o644, Size: int64(len(src))}}, map[string][]byte{name: []byte(src)})
	tr, err := load(context.Background(), r)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, w := range tr.ws {
		out = append(out, fmt.Sprintf("%s @%d", w.label(), w.line))
		for _, c := range w.containers {
			out = append(out, fmt.Sprintf("  %s/%s @%d", c.list, c.name, c.n.line))
		}
	}
	for _, n := range tr.m.notes {
		out = append(out, fmt.Sprintf("note %d: %s", n.line, n.msg))
	}
	return out, nil
}

func TestWorkloads(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "multi-document with comment-only documents",
			src: "---\n# Source: web/templates/sa.yaml\n---\n# Source: web/templates/pod.yaml\napiVersion: v1\nkind: Pod\n" +
				"metadata:\n  name: one\nspec:\n  containers:\n  - name: a\n    image: x:1\n...\n---\napiVersion: v1\nkind: Pod\n" +
				"metadata: {name: two}\nspec:\n  initContainers: [{name: init, image: x:1}]\n  containers:\n    - image: x:1\n      name: b\n",
			want: []string{"Pod one @6", "  containers/a @11", "Pod two @16", "  containers/b @21", "  initContainers/init @19"},
		},
		{
			name: "cronjob nesting and ephemeral containers",
			src: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: '@daily'\n  jobTemplate:\n" +
				"    spec:\n      template:\n        spec:\n          containers:\n          - name: job\n            image: x:1\n" +
				"          ephemeralContainers:\n          - name: debug\n            image: busybox:1\n",
			want: []string{"CronJob nightly @2", "  containers/job @12", "  ephemeralContainers/debug @15"},
		},
		{
			name: "anchors, aliases and merge keys",
			src: "x-base: &base\n  image: x:1\n  securityContext: {privileged: true}\napiVersion: apps/v1\nkind: Deployment\n" +
				"metadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - <<: *base\n        name: merged\n      - &c2 {name: anchored, image: y:2}\n",
			want: []string{"Deployment d @5", "  containers/merged @11", "  containers/anchored @13"},
		},
		{
			name: "list of objects",
			src: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: {name: ds}\n  spec:\n" +
				"    template:\n      spec:\n        containers: [{name: c, image: z:3}]\n",
			want: []string{"DaemonSet ds @5", "  containers/c @10"},
		},
		{
			name: "non-workloads, patches and other API groups left out",
			src: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n---\n" +
				"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: patch}\nspec: {replicas: 3}\n---\n" +
				"apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: crd}\nspec: {template: {spec: {containers: [{name: c}]}}}\n---\n" +
				"name: not a manifest\nkind: of\n",
			want: nil,
		},
		{
			name: "helm template skipped, its neighbours kept",
			src: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec: {}\n---\n" +
				"apiVersion: v1\nkind: Pod\nmetadata: {name: plain}\nspec:\n  containers: [{name: c, image: x:1}]\n",
			want: []string{"Pod plain @8", "  containers/c @11",
				"note 4: skipped: Helm template that is not YAML until rendered (could not find flow map content)"},
		},
		{
			name: "not yaml and not a manifest",
			src:  "[[[ apiVersion kind \x00\xff",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk(t, "m.yaml", tt.src)
			if err != nil {
				t.Fatalf("walk(%q) = %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("walk(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

// TestParseFailures: a file that is not YAML, or whose pod spec has
// fields of the wrong shape, fails kubernetes-parse once, naming the line
// and field, and the other checks skip it.
func TestParseFailures(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{name: "broken manifest", src: "a: 1\n---\napiVersion: v1\nkind: Pod\nspec:\n  - a\n  b: c\n", line: 7, msg: "value is not allowed in this context"},
		{name: "containers not a list", src: pod + "  containers: web\n", line: 5, msg: "spec.containers: want a list, got a string"},
		{name: "securityContext not a mapping", src: pod + "  containers:\n  - name: a\n    securityContext: restricted\n",
			line: 7, msg: "spec.containers[0].securityContext: want a mapping, got a string"},
		{name: "pod volumes not a list", src: pod + "  volumes: {a: b}\n  containers: [{name: a}]\n", line: 5, msg: "spec.volumes: want a list, got a mapping"},
		{name: "container not a mapping", src: pod + "  containers:\n  - web\n", line: 6, msg: "spec.containers[0]: want a container (a mapping), got a string"},
		{name: "list items not a list", src: "apiVersion: v1\nkind: List\nitems: {a: b}\n", line: 3, msg: "items: want a list, got a mapping"},
		{name: "quoted text masked", src: "%YAML 9.s3cr3t-value\n---\napiVersion: v1\nkind: Pod\n", line: 1, msg: `unknown YAML version "9.s*****"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "m.yaml", Mode: 0o644, Size: int64(len(tt.src))}}, map[string][]byte{"m.yaml": []byte(tt.src)})
			for _, c := range Checks() {
				rs, err := c.Run(context.Background(), r)
				if err != nil {
					t.Fatalf("%s on %q: %v", c.ID, tt.src, err)
				}
				if c.ID != "kubernetes-parse" {
					if len(rs) != 1 || rs[0].Status != config.NotApplicable {
						t.Errorf("%s on %q = %+v, want one not applicable", c.ID, tt.src, rs)
					}
					continue
				}
				if len(rs) != 1 || rs[0].Status != config.Fail || rs[0].Path != "m.yaml" || rs[0].Line != tt.line ||
					!strings.HasPrefix(rs[0].Message, "cannot parse: "+tt.msg) {
					t.Errorf("kubernetes-parse on %q = %+v, want a failure at m.yaml:%d saying %q", tt.src, rs, tt.line, "cannot parse: "+tt.msg)
				}
				if len(rs) > 0 && strings.Contains(rs[0].Message, "s3cr3t") {
					t.Errorf("kubernetes-parse on %q = %q, shows the text of the file", tt.src, rs[0].Message)
				}
			}
		})
	}
}

// TestFieldErrors: a value one check reads that has the wrong type is
// that check's error, naming the field.
func TestFieldErrors(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	tests := []struct {
		name, src, check string
		want             string
	}{
		{
			name:  "privileged not a boolean",
			src:   pod + "  containers:\n  - name: a\n    securityContext:\n      privileged: maybe\n",
			check: "kubernetes-privileged",
			want:  "invalid m.yaml:8: spec.containers[0].securityContext.privileged: want true or false, got a string",
		},
		{
			name:  "runAsUser not an integer",
			src:   pod + "  securityContext: {runAsUser: root}\n  containers:\n  - name: a\n",
			check: "kubernetes-run-as-root-user",
			want:  "invalid m.yaml:5: spec.securityContext.runAsUser: want an integer, got a string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runCheck(t, tt.check, "m.yaml", tt.src)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("%s on %q = %v, want an error starting %q", tt.check, tt.src, err, tt.want)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("%s on %q = %v, want it to wrap ErrInvalid", tt.check, tt.src, err)
			}
		})
	}
}

// runCheck runs the check with that ID over one file and returns its error.
func runCheck(t *testing.T, id, name, src string) error {
	t.Helper()
	r := rootfs.NewMemRoot([]rootfs.Entry{{Path: name, Mode: 0o644, Size: int64(len(src))}}, map[string][]byte{name: []byte(src)})
	for _, c := range Checks() {
		if c.ID == id {
			_, err := c.Run(context.Background(), r)
			return err
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		src  string
		want []string // "offset:text"
	}{
		{"a: 1\n", []string{"0:a: 1\n"}},
		{"a: 1\n---\nb: 2\n", []string{"0:a: 1\n", "1:---\nb: 2\n"}},
		{"%YAML 1.2\n---\na: 1\n--- \nb\n", []string{"0:%YAML 1.2\n---\na: 1\n", "3:--- \nb\n"}},
		{"s: |\n  ---\n---x: 1\n", []string{"0:s: |\n  ---\n---x: 1\n"}},
		{"---\r\na\r\n...\r\n", []string{"0:---\r\na\r\n", "2:...\r\n"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range splitDocuments([]byte(tt.src)) {
			got = append(got, fmt.Sprintf("%d:%s", c.offset, c.data))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("splitDocuments(%q) (-want +got):\n%s", tt.src, diff)
		}
	}
}
