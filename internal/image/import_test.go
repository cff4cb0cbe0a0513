package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// exported publishes a tree on parent into a scratch store and exports it
// as a standalone layout, as an unpublished image build leaves it.
func exported(t *testing.T, parent string) (Image, string) {
	t.Helper()
	src := openStore(t)
	img := publishTree(t, src, PublishRequest{Name: "launch", Parent: parent,
		Labels: map[string]string{"org.opencontainers.image.revision": "abc123"}})
	dir := filepath.Join(t.TempDir(), "image")
	must(t, src.Export(context.Background(), img.Digest, dir))
	return img, dir
}

func TestImportKeepsTheImage(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	base := publishTree(t, s, PublishRequest{Name: "base"})
	want, dir := exported(t, base.Digest)
	report := filepath.Join(t.TempDir(), "scan-report.json")
	must(t, os.WriteFile(report, []byte(`{"verdict":{"passed":true}}`), 0o644))

	img, err := s.Import(ctx, ImportRequest{Layout: dir, Name: "golden", Channel: "dev",
		Attachments: []Attachment{{ArtifactType: "application/vnd.secpipe.report+json", Path: report}}})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{img.Name, img.Digest, img.Parent, img.Labels["org.opencontainers.image.revision"]}
	if diff := cmp.Diff([]string{"golden", want.Digest, base.Digest, "abc123"}, got); diff != "" {
		t.Errorf("Import name, digest, parent, revision (-want +got):\n%s", diff)
	}
	if len(img.Channels) != 1 || img.Channels[0] != "dev" || len(img.Attachments) != 1 {
		t.Errorf("Import channels %v, attachments %+v; want dev and the report", img.Channels, img.Attachments)
	}
	// The store serves it like a published image.
	in, err := s.Inspect(ctx, "golden@dev")
	must(t, err)
	if in.Digest != want.Digest {
		t.Errorf("Inspect(golden@dev) = %s, want %s", in.Digest, want.Digest)
	}
	out := filepath.Join(t.TempDir(), "out")
	must(t, s.Export(ctx, "golden", out))
	// Importing again is harmless.
	if _, err := s.Import(ctx, ImportRequest{Layout: dir, Name: "golden"}); err != nil {
		t.Errorf("Import again: %v", err)
	}
}

func TestImportRefusesRevokedParent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	base := publishTree(t, s, PublishRequest{Name: "base"})
	must(t, s.Revoke(ctx, base.Digest, "CVE-2018-17182"))
	_, dir := exported(t, base.Digest)
	_, err := s.Import(ctx, ImportRequest{Layout: dir, Name: "golden"})
	if !errors.Is(err, ErrRevoked) {
		t.Fatalf("Import on a revoked parent: %v, want ErrRevoked", err)
	}
	if imgs, _ := s.List(ctx); len(imgs) != 1 {
		t.Errorf("the store lists %d images after a refused import, want the base only", len(imgs))
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name    string
		req     func(dir string) ImportRequest
		prepare func(t *testing.T, dir string)
		want    error
	}{
		{name: "bad name", req: func(dir string) ImportRequest { return ImportRequest{Layout: dir, Name: "Golden!"} },
			want: pipeline.ErrInvalid},
		{name: "bad channel", req: func(dir string) ImportRequest {
			return ImportRequest{Layout: dir, Name: "golden", Channel: "no/slash"}
		}, want: pipeline.ErrInvalid},
		{name: "missing layout", req: func(dir string) ImportRequest {
			return ImportRequest{Layout: filepath.Join(dir, "nope"), Name: "golden"}
		}, want: pipeline.ErrNotFound},
		{name: "unknown tag", req: func(dir string) ImportRequest { return ImportRequest{Layout: dir, Name: "golden", Tag: "v9"} },
			want: pipeline.ErrNotFound},
		{name: "another image than the one named", req: func(dir string) ImportRequest {
			return ImportRequest{Layout: dir, Name: "golden", Digest: "sha256:" + strings.Repeat("0", 64)}
		}, want: pipeline.ErrInvalid},
		{name: "tampered layer", req: func(dir string) ImportRequest { return ImportRequest{Layout: dir, Name: "golden"} },
			prepare: func(t *testing.T, dir string) {
				idx, err := layout.ImageIndexFromPath(dir)
				must(t, err)
				im, err := idx.IndexManifest()
				must(t, err)
				img, err := idx.Image(im.Manifests[0].Digest)
				must(t, err)
				m, err := img.Manifest()
				must(t, err)
				blob := layoutDir(dir).blobPath(m.Layers[0].Digest)
				must(t, os.Remove(blob))
				must(t, os.WriteFile(blob, []byte("not the layer"), 0o644))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dir := exported(t, "")
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			s := openStore(t)
			_, err := s.Import(context.Background(), tt.req(dir))
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Import error = %v, want %v", err, tt.want)
			}
			if imgs, _ := s.List(context.Background()); len(imgs) != 0 {
				t.Errorf("the store lists %d images after a failed import", len(imgs))
			}
		})
	}
}

// FuzzImport checks that no index.json, however corrupt, makes Import
// panic, and that whatever it accepts names an image whose blobs it holds.
func FuzzImport(f *testing.F) {
	empty := "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" // of "{}"
	f.Add([]byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` +
		empty + `","size":2}]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"` +
		empty + `","size":2}]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:zz"}]}`))
	f.Add([]byte(`not json`))
	s, err := OpenStore(filepath.Join(f.TempDir(), "images"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, index []byte) {
		dir := t.TempDir()
		must(t, os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(empty, "sha256:")), []byte("{}"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644))
		img, err := s.Import(context.Background(), ImportRequest{Layout: dir, Name: "fuzz"})
		if err != nil {
			return
		}
		if _, err := s.Inspect(context.Background(), img.Digest); err != nil {
			t.Errorf("Import accepted %s but Inspect fails: %v", img.Digest, err)
		}
	})
}
