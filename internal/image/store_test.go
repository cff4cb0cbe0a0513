package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
)

func keepAll(rootfs.Entry) bool { return true }

// publishTree publishes a fresh test tree under name.
func publishTree(t *testing.T, s *Store, p PublishRequest) Image {
	t.Helper()
	if p.RootFS == "" {
		p.RootFS = t.TempDir()
		makeTree(t, p.RootFS, false, time.Now())
	}
	img, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatalf("Publish(%s) = %v", p.Name, err)
	}
	return img
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "images"))
	must(t, err)
	return s
}

// checkImage compares the image tag of the layout at dir with the tree
// at root: paths, modes, owners, links and contents.
func checkImage(t *testing.T, dir, tag, root string) {
	t.Helper()
	m, err := rootfs.OpenOCI(dir, tag, keepAll)
	if err != nil {
		t.Fatalf("OpenOCI(%s, %s) = %v", dir, tag, err)
	}
	d, _, err := rootfs.Open(root, rootfs.Options{Kind: rootfs.RootFS})
	must(t, err)
	if diff := cmp.Diff(d.Entries(), m.Entries()); diff != "" {
		t.Errorf("OpenOCI(%s, %s) entries (-tree +image):\n%s", dir, tag, diff)
	}
	for _, f := range testFiles {
		got, err := m.ReadFile(f.path)
		if err != nil || string(got) != f.contents {
			t.Errorf("ReadFile(%s) = %q, %v, want %q", f.path, got, err, f.contents)
		}
	}
}

func TestPublishOpenOCI(t *testing.T) {
	s := openStore(t)
	root := t.TempDir()
	makeTree(t, root, false, time.Now())
	img := publishTree(t, s, PublishRequest{Name: "golden", RootFS: root,
		Labels: map[string]string{"org.opencontainers.image.revision": "abc123"},
		Config: Config{Env: []string{"PATH=/bin"}, Cmd: []string{"/bin/tool"}, ExposedPorts: []string{"8080/tcp"}}})
	checkImage(t, s.LayoutPath(), "golden", root)

	lp, err := layout.FromPath(s.LayoutPath())
	must(t, err)
	vimg, err := lp.Image(mustHash(img.Digest))
	must(t, err)
	cf, err := vimg.ConfigFile()
	must(t, err)
	if cf.Config.Labels["org.opencontainers.image.revision"] != "abc123" || !cf.Created.Time.Equal(time.Unix(0, 0)) ||
		len(cf.RootFS.DiffIDs) != 1 || cf.Config.Cmd[0] != "/bin/tool" {
		t.Errorf("config = %+v", cf)
	}

	// The same tree in another store and directory gives the same digest.
	other := t.TempDir()
	makeTree(t, other, true, time.Now().Add(-time.Hour))
	again := publishTree(t, openStore(t), PublishRequest{Name: "golden", RootFS: other,
		Labels: map[string]string{"org.opencontainers.image.revision": "abc123"},
		Config: Config{Env: []string{"PATH=/bin"}, Cmd: []string{"/bin/tool"}, ExposedPorts: []string{"8080/tcp"}}})
	if again.Digest != img.Digest {
		t.Errorf("republished digest %s, want %s", again.Digest, img.Digest)
	}
}

func TestAttachmentsAreReferrers(t *testing.T) {
	s := openStore(t)
	dir := t.TempDir()
	sbom := filepath.Join(dir, "sbom.cdx.json")
	report := filepath.Join(dir, "report.json")
	must(t, os.WriteFile(sbom, []byte(`{"bomFormat":"CycloneDX"}`), 0o644))
	must(t, os.WriteFile(report, []byte(`{"findings":[]}`), 0o644))
	img := publishTree(t, s, PublishRequest{Name: "golden", Attachments: []Attachment{
		{ArtifactType: "application/vnd.cyclonedx+json", Path: sbom},
		{ArtifactType: "application/vnd.secpipe.report+json", MediaType: "application/json", Path: report},
	}})
	if len(img.Attachments) != 2 {
		t.Fatalf("Publish attachments = %+v, want 2", img.Attachments)
	}
	idx, err := layout.ImageIndexFromPath(s.LayoutPath())
	must(t, err)
	im, err := idx.IndexManifest()
	must(t, err)
	var got []string
	for _, d := range im.Manifests {
		if d.ArtifactType == "" {
			continue
		}
		raw, err := os.ReadFile(layoutDir(s.LayoutPath()).blobPath(d.Digest))
		must(t, err)
		m, err := v1.ParseManifest(strings.NewReader(string(raw)))
		must(t, err)
		if m.Subject == nil || m.Subject.Digest.String() != img.Digest || m.ArtifactType != d.ArtifactType {
			t.Errorf("artifact %s: subject %+v, artifactType %q", d.Digest, m.Subject, m.ArtifactType)
		}
		blob, err := os.ReadFile(layoutDir(s.LayoutPath()).blobPath(m.Layers[0].Digest))
		must(t, err)
		got = append(got, d.ArtifactType+" "+string(m.Layers[0].MediaType)+" "+string(blob))
	}
	want := []string{
		`application/vnd.cyclonedx+json application/vnd.cyclonedx+json {"bomFormat":"CycloneDX"}`,
		`application/vnd.secpipe.report+json application/json {"findings":[]}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("referrers in index.json (-want +got):\n%s", diff)
	}
	// Attaching again adds nothing; Inspect lists the attachments.
	must(t, s.Attach(context.Background(), img.Digest, Attachment{ArtifactType: "application/vnd.cyclonedx+json", Path: sbom}))
	in, err := s.Inspect(context.Background(), "golden")
	must(t, err)
	if diff := cmp.Diff(img.Attachments, in.Attachments); diff != "" {
		t.Errorf("Inspect attachments (-publish +inspect):\n%s", diff)
	}
}

func TestChannels(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	rootV1 := t.TempDir()
	makeTree(t, rootV1, false, time.Now())
	v1img := publishTree(t, s, PublishRequest{Name: "golden", RootFS: rootV1, Channel: "dev"})
	v2img := publishTree(t, s, PublishRequest{Name: "golden", Labels: map[string]string{"v": "2"}, Channel: "dev"})
	must(t, s.Promote(ctx, v1img.Digest, "prod"))
	tests := []struct {
		ref  string
		want string
	}{
		{ref: "golden", want: v2img.Digest},
		{ref: "golden@dev", want: v2img.Digest},
		{ref: "golden:prod", want: v1img.Digest},
		{ref: "golden@prod", want: v1img.Digest},
		{ref: "golden@" + v1img.Digest, want: v1img.Digest},
		{ref: v1img.Digest[:15], want: v1img.Digest},
	}
	for _, tt := range tests {
		img, err := s.Inspect(ctx, tt.ref)
		if err != nil || img.Digest != tt.want {
			t.Errorf("Inspect(%q) = %s, %v, want %s", tt.ref, img.Digest, err, tt.want)
		}
	}
	in, err := s.Inspect(ctx, v1img.Digest)
	must(t, err)
	if diff := cmp.Diff([]string{"prod"}, in.Channels); diff != "" {
		t.Errorf("channels of v1 (-want +got):\n%s", diff)
	}
	checkImage(t, s.LayoutPath(), "golden@prod", rootV1)
	checkImage(t, s.LayoutPath(), "golden@"+v1img.Digest, rootV1) // an older image of the name
	list, err := s.List(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Digest != v1img.Digest || list[1].Digest != v2img.Digest {
		t.Errorf("List = %+v, want v1 then v2", list)
	}
}

func TestStoreErrors(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	img := publishTree(t, s, PublishRequest{Name: "golden"})
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{name: "unknown name", run: func() error { _, err := s.Inspect(ctx, "nope"); return err }, want: pipeline.ErrNotFound},
		{name: "unknown channel", run: func() error { _, err := s.Inspect(ctx, "golden@prod"); return err }, want: pipeline.ErrNotFound},
		{name: "short digest", run: func() error { _, err := s.Inspect(ctx, "sha256:a"); return err }, want: pipeline.ErrNotFound},
		{name: "bad name", run: func() error { _, err := s.Publish(ctx, PublishRequest{Name: "Bad Name"}); return err }, want: pipeline.ErrInvalid},
		{name: "missing rootfs", run: func() error {
			_, err := s.Publish(ctx, PublishRequest{Name: "x", RootFS: "/nonexistent"})
			return err
		}, want: pipeline.ErrNotFound},
		{name: "bad channel", run: func() error { return s.Promote(ctx, img.Digest, "no/slash") }, want: pipeline.ErrInvalid},
		{name: "promote unknown", run: func() error { return s.Promote(ctx, "sha256:0000000000", "prod") }, want: pipeline.ErrNotFound},
		{name: "no reason", run: func() error { return s.Revoke(ctx, img.Digest, " ") }, want: pipeline.ErrInvalid},
		{name: "unknown parent", run: func() error { return s.CheckParent(ctx, "sha256:1234") }, want: pipeline.ErrNotFound},
		{name: "export to a busy dir", run: func() error {
			dir := t.TempDir()
			must(t, os.WriteFile(filepath.Join(dir, "x"), nil, 0o644))
			return s.Export(ctx, img.Digest, dir)
		}, want: pipeline.ErrInvalid},
	}
	for _, tt := range tests {
		if err := tt.run(); !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestRevocation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	base := publishTree(t, s, PublishRequest{Name: "base", Channel: "prod"})
	child := publishTree(t, s, PublishRequest{Name: "app", Parent: base.Digest})
	must(t, s.CheckParent(ctx, child.Digest))
	must(t, s.Revoke(ctx, base.Digest, "CVE-2018-17182 in the kernel"))

	for _, d := range []string{base.Digest, child.Digest} {
		err := s.CheckParent(ctx, d)
		if !errors.Is(err, ErrRevoked) || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "CVE-2018-17182") {
			t.Errorf("CheckParent(%s) = %v, want ErrRevoked naming the reason", d, err)
		}
	}
	_, err := s.Publish(ctx, PublishRequest{Name: "app2", RootFS: t.TempDir(), Parent: base.Digest})
	if !errors.Is(err, ErrRevoked) {
		t.Errorf("Publish on a revoked parent = %v, want ErrRevoked", err)
	}
	if err := s.Promote(ctx, base.Digest, "staging"); !errors.Is(err, ErrRevoked) {
		t.Errorf("Promote(revoked) = %v, want ErrRevoked", err)
	}
	in, err := s.Inspect(ctx, "base@prod")
	must(t, err)
	if in.Revoked == nil || in.Revoked.Reason != "CVE-2018-17182 in the kernel" {
		t.Errorf("Inspect(revoked).Revoked = %+v", in.Revoked)
	}
	im, err := layoutDir(s.LayoutPath()).readIndex()
	must(t, err)
	for _, d := range im.Manifests {
		if d.Digest.String() == base.Digest && d.Annotations[AnnotationRevoked] == "" {
			t.Errorf("index.json entry %s lacks %s", d.Annotations[AnnotationRefName], AnnotationRevoked)
		}
	}
}

func TestExport(t *testing.T) {
	s := openStore(t)
	root := t.TempDir()
	makeTree(t, root, false, time.Now())
	att := filepath.Join(t.TempDir(), "sbom.json")
	must(t, os.WriteFile(att, []byte("{}"), 0o644))
	img := publishTree(t, s, PublishRequest{Name: "golden", RootFS: root,
		Attachments: []Attachment{{ArtifactType: "application/vnd.cyclonedx+json", Path: att}}})
	publishTree(t, s, PublishRequest{Name: "other"})
	out := filepath.Join(t.TempDir(), "out")
	must(t, s.Export(context.Background(), "golden", out))
	must(t, s.Export(context.Background(), img.Digest, out)) // again: replaces, no duplicates
	checkImage(t, out, "golden", root)
	im, err := layoutDir(out).readIndex()
	must(t, err)
	var got []string
	for _, d := range im.Manifests {
		got = append(got, d.Digest.String()+" "+d.ArtifactType)
	}
	want := []string{img.Digest + " ", img.Attachments[0].Digest + " application/vnd.cyclonedx+json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exported index.json (-want +got):\n%s", diff)
	}
}

func TestConcurrentPublish(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "images")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		root := t.TempDir()
		makeTree(t, root, i%2 == 0, time.Now())
		wg.Go(func() {
			s, err := OpenStore(dir) // a store per publisher, as separate processes would
			if err == nil {
				_, err = s.Publish(context.Background(), PublishRequest{Name: fmt.Sprintf("img%d", i), RootFS: root,
					Labels: map[string]string{"n": fmt.Sprint(i)}, Channel: "dev"})
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("publisher %d: %v", i, err)
		}
	}
	s, err := OpenStore(dir)
	must(t, err)
	list, err := s.List(context.Background())
	must(t, err)
	if len(list) != n {
		t.Errorf("List = %d images, want %d", len(list), n)
	}
	for i := range n {
		if _, err := rootfs.OpenOCI(s.LayoutPath(), fmt.Sprintf("img%d@dev", i), nil); err != nil {
			t.Errorf("OpenOCI(img%d@dev) = %v", i, err)
		}
	}
}
