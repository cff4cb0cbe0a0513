package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// splitBuilder is a builder over a fresh store whose SBOM names its
// target, for the launch → scan → publish tests. It skips when the host
// has no busybox-static to make the base of (CI always has it).
func splitBuilder(t *testing.T) *Builder {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip("busybox-static is not installed")
	}
	dir := t.TempDir()
	store, err := imagestore.OpenStore(filepath.Join(dir, "images"))
	if err != nil {
		t.Fatal(err)
	}
	return &Builder{Store: store, WorkDir: filepath.Join(dir, "work"),
		SBOM: func(_ context.Context, target string, w io.Writer) error {
			_, err := fmt.Fprintf(w, `{"bomFormat":"CycloneDX","target":%q}`, target)
			return err
		}}
}

// launch runs a launch action (busybox base, nothing installed) and
// returns its output artifact and the image's digest.
func launch(t *testing.T, b *Builder, base string) (string, string) {
	t.Helper()
	before, _ := b.Store.List(context.Background())
	out := t.TempDir()
	req := &pipeline.ActionRequest{ExecutionID: "e1", Pipeline: "Golden Image", Config: map[string]any{"base": base},
		Action:  pipeline.Action{Name: "Launch", Provider: "image", Outputs: []string{"LaunchArtifact"}},
		Outputs: map[string]string{"LaunchArtifact": out}, RepoDir: t.TempDir(), Log: io.Discard,
		Variables: map[string]string{"SourceVariables.CommitId": "c6b714b"}}
	res, err := NewProvider(b).Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	digest := res.OutputVariables["ImageDigest"]
	if res.State != pipeline.ActionSucceeded || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("launch = %s %q %v, want succeeded with ImageDigest", res.State, res.Message, res.OutputVariables)
	}
	if imgs, _ := b.Store.List(context.Background()); len(imgs) != len(before) {
		t.Fatalf("launch published %d images, want none", len(imgs)-len(before))
	}
	if left, _ := os.ReadDir(b.WorkDir); len(left) != 0 {
		t.Errorf("launch left %d entries in the work directory", len(left))
	}
	return out, digest
}

// scanned writes what a scan action leaves: its report (target and
// verdict) and, when sbom is set, an SBOM.
func scanned(t *testing.T, target string, passed, sbom bool) string {
	t.Helper()
	dir := t.TempDir()
	rep := fmt.Sprintf(`{"version":1,"target":%q,"verdict":{"passed":%t,"fail_on":"high","blocking":%d},"findings":[]}`,
		target, passed, map[bool]int{true: 0, false: 2}[passed])
	if err := os.WriteFile(filepath.Join(dir, ScanReportFile), []byte(rep), 0o644); err != nil {
		t.Fatal(err)
	}
	if sbom {
		if err := os.WriteFile(filepath.Join(dir, ScanSBOMFile), []byte(`{"bomFormat":"CycloneDX"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publishReq is a publish action over the given inputs.
func publishReq(t *testing.T, inputs map[string]string, order ...string) *pipeline.ActionRequest {
	return &pipeline.ActionRequest{ExecutionID: "e1", Config: map[string]any{"publish": "golden", "channel": "dev"},
		Action: pipeline.Action{Name: "Publish", Provider: "image", Inputs: order, Outputs: []string{"ImageArtifact"}},
		Inputs: inputs, Outputs: map[string]string{"ImageArtifact": t.TempDir()}, Log: io.Discard}
}

func TestLaunchScanPublish(t *testing.T) {
	ctx := context.Background()
	for _, sbom := range []bool{true, false} {
		t.Run(fmt.Sprintf("sbom from the scan %t", sbom), func(t *testing.T) {
			b := splitBuilder(t)
			out, digest := launch(t, b, "busybox")
			scan := scanned(t, "oci:LaunchArtifact/image@"+digest, true, sbom)
			req := publishReq(t, map[string]string{"LaunchArtifact": out, "ScanArtifact": scan}, "LaunchArtifact", "ScanArtifact")
			res, err := NewProvider(b).Run(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if res.State != pipeline.ActionSucceeded || res.OutputVariables["ImageDigest"] != digest {
				t.Fatalf("publish = %s %q %v, want the launched image %s published", res.State, res.Message, res.OutputVariables, digest)
			}
			img, err := b.Store.Inspect(ctx, "golden@dev")
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, a := range img.Attachments {
				types = append(types, a.ArtifactType)
			}
			want := []string{"application/vnd.cyclonedx+json", "application/vnd.secpipe.report+json"}
			if diff := cmp.Diff(want, types); diff != "" {
				t.Errorf("attachments (-want +got):\n%s", diff)
			}
			if img.Digest != digest || img.Labels["org.opencontainers.image.revision"] != "c6b714b" ||
				img.Labels["secpipe.execution"] != "e1" {
				t.Errorf("published %s with labels %v, want %s labelled with the revision and execution", img.Digest, img.Labels, digest)
			}
			data, err := os.ReadFile(filepath.Join(req.Outputs["ImageArtifact"], "image.json"))
			if err != nil || !strings.Contains(string(data), digest) {
				t.Errorf("image.json = %s, %v; want the digest", data, err)
			}
		})
	}
}

func TestPublishRefuses(t *testing.T) {
	ctx := context.Background()
	b := splitBuilder(t)
	out, digest := launch(t, b, "busybox")
	other := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name   string
		inputs map[string]string
		state  pipeline.ActionState // for a refusal that is a result
		err    error                // for one that is an error
		msg    string
	}{
		{name: "gate failed", inputs: map[string]string{"LaunchArtifact": out,
			"ScanArtifact": scanned(t, "oci:LaunchArtifact/image@"+digest, false, true)},
			state: pipeline.ActionFailed, msg: "nothing was published (the scan of oci:LaunchArtifact/image@"},
		{name: "no scan", inputs: map[string]string{"LaunchArtifact": out}, err: pipeline.ErrInvalid,
			msg: "config: publish: no input artifact holds scan-report.json"},
		{name: "no image", inputs: map[string]string{"ScanArtifact": scanned(t, "oci:LaunchArtifact/image@"+digest, true, true)},
			err: pipeline.ErrInvalid, msg: "config: publish: no input artifact holds image/oci-layout"},
		{name: "scan of another image", inputs: map[string]string{"LaunchArtifact": out,
			"ScanArtifact": scanned(t, "oci:LaunchArtifact/image@"+other, true, true)},
			err: pipeline.ErrInvalid, msg: "not " + other},
		{name: "scan of no image", inputs: map[string]string{"LaunchArtifact": out,
			"ScanArtifact": scanned(t, "LaunchArtifact", true, true)},
			err: pipeline.ErrInvalid, msg: "judged LaunchArtifact, not a launched image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var order []string
			for _, n := range []string{"LaunchArtifact", "ScanArtifact"} {
				if _, ok := tt.inputs[n]; ok {
					order = append(order, n)
				}
			}
			res, err := NewProvider(b).Run(ctx, publishReq(t, tt.inputs, order...))
			switch {
			case tt.err != nil && (!errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg)):
				t.Errorf("publish error = %v, want %v naming %q", err, tt.err, tt.msg)
			case tt.err == nil && (err != nil || res.State != tt.state || !strings.Contains(res.Message, tt.msg)):
				t.Errorf("publish = %s %q, %v; want %s naming %q", res.State, res.Message, err, tt.state, tt.msg)
			}
			if imgs, _ := b.Store.List(ctx); len(imgs) != 0 {
				t.Errorf("the store lists %d images after a refused publish", len(imgs))
			}
		})
	}
}

// TestPublishRefusesRevokedBase: an image launched on a base that is
// revoked before the publish is not published.
func TestPublishRefusesRevokedBase(t *testing.T) {
	ctx := context.Background()
	b := splitBuilder(t)
	if _, err := b.Build(ctx, Spec{Base: "busybox", Publish: "base"}); err != nil {
		t.Fatal(err)
	}
	out, digest := launch(t, b, "oci:"+b.Store.LayoutPath()+":base")
	baseImg, err := b.Store.Inspect(ctx, "base")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Store.Revoke(ctx, baseImg.Digest, "CVE-2018-17182"); err != nil {
		t.Fatal(err)
	}
	scan := scanned(t, "oci:LaunchArtifact/image@"+digest, true, true)
	_, err = NewProvider(b).Run(ctx, publishReq(t, map[string]string{"LaunchArtifact": out, "ScanArtifact": scan},
		"LaunchArtifact", "ScanArtifact"))
	if !errors.Is(err, imagestore.ErrRevoked) || !strings.Contains(err.Error(), "CVE-2018-17182") {
		t.Errorf("publish on a revoked base: %v, want ErrRevoked with the reason", err)
	}
	if _, err := b.Store.Inspect(ctx, "golden"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Inspect(golden) = %v, want not found", err)
	}
}

// FuzzCheckScanReport: no scan report, however corrupt, panics the
// publish's check, and whatever it accepts names a sha256 digest.
func FuzzCheckScanReport(f *testing.F) {
	d := "sha256:" + strings.Repeat("ab", 32)
	f.Add(`{"target":"oci:LaunchArtifact/image@` + d + `","verdict":{"passed":true}}`)
	f.Add(`{"target":"oci:LaunchArtifact/image@` + d + `","verdict":{"passed":false,"blocking":2,"fail_on":"high"}}`)
	f.Add(`{"target":"LaunchArtifact","verdict":{"passed":true}}`)
	f.Add(`{"target":"oci:x@sha256:","verdict":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, report string) {
		path := filepath.Join(t.TempDir(), ScanReportFile)
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		digest, err := checkScanReport(path)
		if err != nil {
			return
		}
		if !strings.HasPrefix(digest, "sha256:") {
			t.Errorf("checkScanReport(%q) = %q, want a sha256 digest", report, digest)
		}
	})
}
