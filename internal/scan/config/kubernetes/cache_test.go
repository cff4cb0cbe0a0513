package kubernetes

import (
	"bytes"
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

// TestCacheFollowsContents: one list of checks run over trees that differ
// only in a file's contents judges each tree on its own, also when the
// checks run at the same time.
func TestCacheFollowsContents(t *testing.T) {
	pod := func(privileged string) *rootfs.MemRoot {
		src := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x:1\n" +
			"    securityContext: {privileged: " + privileged + "}\n"
		return rootfs.NewMemRoot([]rootfs.Entry{{Path: "p.yaml", Mode: 0o644, Size: int64(len(src))}}, map[string][]byte{"p.yaml": []byte(src)})
	}
	roots := []struct {
		root *rootfs.MemRoot
		want config.Status
	}{
		{pod("false"), config.Pass},
		{pod("true"), config.Fail},
		{pod("false"), config.Pass},
	}
	checks := Checks()
	var privileged config.Check
	for _, c := range checks {
		if c.ID == "kubernetes-privileged" {
			privileged = c
		}
	}
	for i, tt := range roots {
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() {
				if _, err := c.Run(context.Background(), tt.root); err != nil {
					t.Errorf("%s: %v", c.ID, err)
				}
			})
		}
		wg.Wait()
		rs, err := privileged.Run(context.Background(), tt.root)
		if err != nil || len(rs) != 1 || rs[0].Status != tt.want {
			t.Errorf("tree %d: kubernetes-privileged = %+v, %v, want one %s", i, rs, err, tt.want)
		}
	}
}

// TestBrokenManifest: a manifest that does not parse fails
// kubernetes-parse once, a Helm template is noted by kubernetes-parse
// only, and the other checks judge the manifests that parsed as if
// neither were there.
func TestBrokenManifest(t *testing.T) {
	const good = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
	const broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: worker}\nspec:\n  - a\n  b: c\n"
	const helm = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec: {}\n"
	files := func(kv ...string) *rootfs.MemRoot {
		var entries []rootfs.Entry
		data := map[string][]byte{}
		for i := 0; i+1 < len(kv); i += 2 {
			entries = append(entries, rootfs.Entry{Path: kv[i], Mode: 0o644, Size: int64(len(kv[i+1]))})
			data[kv[i]] = []byte(kv[i+1])
		}
		return rootfs.NewMemRoot(entries, data)
	}
	alone := configtest.Problems(t, Checks(), files("web.yaml", good))
	if len(alone) == 0 {
		t.Fatal("the good manifest has no findings; the test needs some")
	}
	r := files("chart/templates/pod.yaml", helm, "web.yaml", good, "worker.yaml", broken)
	got := configtest.Problems(t, Checks(), r)
	want := append([]string{"kubernetes-parse fail worker.yaml:6"}, alone...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings with a broken manifest (-want +got):\n%s", diff)
	}
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		notes := 0
		for _, res := range rs {
			if res.Status == config.NotApplicable && res.Path == "chart/templates/pod.yaml" {
				notes++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[c.ID == "kubernetes-parse"]; notes != want {
			t.Errorf("%s gives %d notes on the Helm template, want %d: %+v", c.ID, notes, want, rs)
		}
	}
}

// TestScanLogsHelmTemplate: scanning a tree with a Helm template gives
// no finding for it and one debug log line naming it.
func TestScanLogsHelmTemplate(t *testing.T) {
	const helm = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec: {}\n"
	r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "chart/templates/pod.yaml", Mode: 0o644, Size: int64(len(helm))}},
		map[string][]byte{"chart/templates/pod.yaml": []byte(helm)})
	var logs bytes.Buffer
	s, err := config.New(config.Config{Checks: Checks(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	var findings []pipeline.Finding
	stats, err := s.ScanRoot(context.Background(), r, config.TargetSource, func(f pipeline.Finding) error {
		findings = append(findings, f)
		return nil
	})
	if err != nil || len(findings) != 0 || stats.Errors != 0 {
		t.Fatalf("ScanRoot on a Helm template = %+v, %+v, %v, want no finding and no error", findings, stats, err)
	}
	if n := strings.Count(logs.String(), "path=chart/templates/pod.yaml"); n != 1 ||
		!strings.Contains(logs.String(), `check=kubernetes-parse path=chart/templates/pod.yaml line=4 message="skipped: Helm template`) {
		t.Errorf("logs name the template %d times, want once at debug level by kubernetes-parse:\n%s", n, logs.String())
	}
}
