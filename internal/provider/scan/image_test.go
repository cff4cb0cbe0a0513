package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// launched writes the Debian 9 root filesystem of testdata/rootfs-debian
// as an OCI layout at LaunchArtifact/image, as a launch action leaves it,
// and returns the request of a scan over it with the fixture's
// advisories in SourceArtifact/advisories, and the image's digest.
func launched(t *testing.T, cfg map[string]any) (*pipeline.ActionRequest, string) {
	t.Helper()
	src := unpack(t, "rootfs-debian")
	store, err := imagestore.OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := store.Publish(context.Background(), imagestore.PublishRequest{Name: "launch", RootFS: filepath.Join(src, "rootfs")})
	if err != nil {
		t.Fatal(err)
	}
	launch := t.TempDir()
	if err := store.Export(context.Background(), img.Digest, filepath.Join(launch, "image")); err != nil {
		t.Fatal(err)
	}
	req, _ := request(t, src, cfg)
	req.Action.Inputs = []string{"LaunchArtifact", "SourceArtifact"}
	req.Inputs["LaunchArtifact"] = launch
	req.WorkDir = t.TempDir()
	return req, img.Digest
}

func TestImageTargetWithPinnedAdvisories(t *testing.T) {
	req, digest := launched(t, map[string]any{"scanners": []any{"vulns", "secrets"}, "target": "oci:LaunchArtifact/image",
		"advisories": "SourceArtifact/advisories", "fail_on": "high"})
	res, err := newProvider(t).Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != pipeline.ActionFailed || res.Message != "gate failed: 2 blocking findings at or above high" {
		t.Errorf("Run() = %s %q, want failed by the two kernel advisories", res.State, res.Message)
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.RuleID+" "+f.Location.Package+"@"+f.Location.Version+" fixed in "+f.Remediation)
	}
	for _, want := range []string{"DEBIAN-CVE-2018-14633", "DEBIAN-CVE-2018-17182"} {
		if !strings.Contains(strings.Join(ids, "\n"), want+" linux-image-4.9.0-8-amd64@4.9.110-3+deb9u4") {
			t.Errorf("findings %q lack %s in the kernel", ids, want)
		}
	}
	if res.OutputVariables["ImageDigest"] != digest {
		t.Errorf("ImageDigest = %q, want %s", res.OutputVariables["ImageDigest"], digest)
	}
	rep, _ := readReport(t, req)
	if want := "oci:LaunchArtifact/image@" + digest; rep.Target != want {
		t.Errorf("report target %q, want %q (the image with its digest)", rep.Target, want)
	}
	sbom, err := os.ReadFile(filepath.Join(req.Outputs["ScanArtifact"], SBOMFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sbom), `"bomFormat": "CycloneDX"`) || !strings.Contains(string(sbom), "linux-image-4.9.0-8-amd64") {
		t.Errorf("%s is not the CycloneDX SBOM of the image:\n%.400s", SBOMFile, sbom)
	}
	// The unpacked image and the compiled advisories are gone.
	if left, _ := os.ReadDir(req.WorkDir); len(left) != 0 {
		t.Errorf("the work directory keeps %d entries after the scan", len(left))
	}
}

func TestImageTargetErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want error
	}{
		{name: "advisories and db", cfg: map[string]any{"scanners": "vulns", "target": "oci:LaunchArtifact/image",
			"advisories": "SourceArtifact/advisories", "db": "/var/db"}, want: pipeline.ErrInvalid},
		{name: "advisories without vulns", cfg: map[string]any{"scanners": "secrets", "advisories": "SourceArtifact/advisories"},
			want: pipeline.ErrInvalid},
		{name: "advisories missing", cfg: map[string]any{"scanners": "vulns", "target": "oci:LaunchArtifact/image",
			"advisories": "SourceArtifact/osv"}, want: pipeline.ErrNotFound},
		{name: "advisories outside", cfg: map[string]any{"scanners": "vulns", "target": "oci:LaunchArtifact/image",
			"advisories": "../advisories"}, want: pipeline.ErrInvalid},
		{name: "not a layout", cfg: map[string]any{"scanners": "secrets", "target": "oci:SourceArtifact/rootfs"},
			want: pipeline.ErrInvalid},
		{name: "layout missing", cfg: map[string]any{"scanners": "secrets", "target": "oci:LaunchArtifact/nope"},
			want: pipeline.ErrNotFound},
		{name: "unknown tag", cfg: map[string]any{"scanners": "secrets", "target": "oci:LaunchArtifact/image:v9"},
			want: pipeline.ErrNotFound},
		{name: "no path", cfg: map[string]any{"scanners": "secrets", "target": "oci:"}, want: pipeline.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := launched(t, tt.cfg)
			if _, err := newProvider(t).Run(context.Background(), req); !errors.Is(err, tt.want) {
				t.Errorf("Run() error = %v, want %v", err, tt.want)
			}
		})
	}
}
