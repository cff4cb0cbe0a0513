package dashboard_test

import (
	"context"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/store"
)

func TestImageAttachments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "hello"))
	sbom := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"linux-image-amd64"}]}`
	report := `{"findings":[{"rule_id":"CVE-2018-17182","severity":"high"}]}`
	for name, body := range map[string]string{"sbom.cdx.json": sbom, "scan-report.json": report} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	im, err := e.images.Publish(context.Background(), image.PublishRequest{Name: "golden", RootFS: root, Channel: "dev",
		Attachments: []image.Attachment{
			{ArtifactType: "application/vnd.cyclonedx+json", Path: filepath.Join(dir, "sbom.cdx.json")},
			{ArtifactType: "application/vnd.secpipe.report+json", MediaType: "application/json",
				Path: filepath.Join(dir, "scan-report.json")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// A viewer may read an image's SBOM and scan report.
	c := e.client()
	c.login(store.RoleViewer)
	page := c.get("/images")
	links := map[string]string{}
	for _, m := range regexp.MustCompile(`<a href="([^"]+)" class="attachment"[^>]*>([^<]+)</a>`).FindAllStringSubmatch(page.body, -1) {
		links[m[2]] = html.UnescapeString(m[1])
	}
	tests := []struct {
		label    string
		wantType string
		wantName string
		wantBody string
	}{
		{label: "SBOM (CycloneDX)", wantType: "application/vnd.cyclonedx+json", wantName: "sbom.cdx.json", wantBody: sbom},
		{label: "Scan report", wantType: "application/json", wantName: "scan-report.json", wantBody: report},
	}
	for _, tt := range tests {
		link, ok := links[tt.label]
		if !ok {
			t.Errorf("images page has no %q link (links: %v)", tt.label, links)
			continue
		}
		res := c.get(link)
		disposition := `attachment; filename="` + strings.TrimPrefix(im.Digest, "sha256:")[:12] + "-" + tt.wantName + `"`
		if res.status != http.StatusOK || res.body != tt.wantBody || res.header.Get("Content-Type") != tt.wantType ||
			res.header.Get("Content-Disposition") != disposition {
			t.Errorf("GET %s = %d %q %q %q, want %s %s", link, res.status, res.header.Get("Content-Type"),
				res.header.Get("Content-Disposition"), res.body, tt.wantType, disposition)
		}
	}

	base := "/images/" + im.Digest + "/attachments/"
	other := "sha256:" + strings.Repeat("0", 64)
	for _, tt := range []struct {
		path string
		want int
	}{
		{path: base + other, want: http.StatusNotFound},
		{path: "/images/" + other + "/attachments/" + other, want: http.StatusNotFound},
		{path: base + "sha256:zz", want: http.StatusBadRequest},
		{path: "/images/golden/attachments/" + other, want: http.StatusBadRequest},
		// The image's own manifest is a blob of the layout, not an attachment.
		{path: base + im.Digest, want: http.StatusNotFound},
	} {
		if res := c.get(tt.path); res.status != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.path, res.status, tt.want)
		}
	}

	// A damaged blob is not served as if it were the SBOM.
	got, err := e.images.Inspect(context.Background(), im.Digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got.Attachments {
		if a.Title == "sbom.cdx.json" {
			blob := filepath.Join(e.images.LayoutPath(), "blobs", "sha256", strings.TrimPrefix(a.Blob, "sha256:"))
			if err := os.WriteFile(blob, []byte(strings.ToUpper(sbom)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := fetch(c, links["SBOM (CycloneDX)"]); err == nil {
		t.Errorf("a damaged SBOM was served whole")
	}
}
