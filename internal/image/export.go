package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Export writes the image digest (or any reference Inspect accepts) and
// its attachments (referrers) as a standalone OCI layout at dir, the image
// named by its store name (org.opencontainers.image.ref.name), so that
// rootfs.OpenOCI(dir, NAME) reads it. dir must be missing, empty, or an
// OCI layout already, to which the image is added (replacing an image of
// the same name). Blobs are hard-linked from the store when they can be.
// An unknown image wraps pipeline.ErrNotFound; a dir holding other files
// wraps pipeline.ErrInvalid.
func (s *Store) Export(ctx context.Context, digest, dir string) error {
	c, err := s.load()
	if err != nil {
		return fmt.Errorf("image store %s: %w", s.dir, err)
	}
	rec, name, err := c.resolve(digest)
	if err != nil {
		return fmt.Errorf("export %s: %w", digest, err)
	}
	if err := checkExportDir(dir); err != nil {
		return fmt.Errorf("export %s %s: %w", name, rec.Digest, err)
	}
	dst := layoutDir(dir)
	if err := dst.create(); err != nil {
		return fmt.Errorf("export %s %s: %w", name, rec.Digest, err)
	}
	if err := s.copyImage(ctx, dst, rec); err != nil {
		return fmt.Errorf("export %s %s to %s: %w", name, rec.Digest, dir, err)
	}
	im, err := dst.readIndex()
	if err != nil {
		return fmt.Errorf("export %s %s to %s: %w", name, rec.Digest, dir, err)
	}
	descs := []v1.Descriptor{}
	for _, d := range im.Manifests {
		if d.Annotations[AnnotationRefName] != name && !hasAttachment(rec, d.Digest.String()) {
			descs = append(descs, d)
		}
	}
	descs = append(descs, imageDescriptor(rec, name))
	for _, a := range rec.Attachments {
		descs = append(descs, attachmentDescriptor(rec, a))
	}
	if err := dst.writeIndex(descs); err != nil {
		return fmt.Errorf("export %s %s to %s: %w", name, rec.Digest, dir, err)
	}
	return nil
}

// checkExportDir accepts a missing or empty directory or an OCI layout.
func checkExportDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(ents) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir + "/oci-layout"); err != nil {
		return fmt.Errorf("%w: %s is neither empty nor an OCI layout", pipeline.ErrInvalid, dir)
	}
	return nil
}

// copyImage copies the blobs of rec (manifest, config, layers) and of its
// attachments into dst.
func (s *Store) copyImage(ctx context.Context, dst layoutDir, rec *record) error {
	src := s.layout()
	mh := mustHash(rec.Digest)
	f, err := os.Open(src.blobPath(mh))
	if err != nil {
		return err
	}
	m, err := v1.ParseManifest(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	blobs := []v1.Hash{mh, m.Config.Digest}
	for _, l := range m.Layers {
		blobs = append(blobs, l.Digest)
	}
	if len(rec.Attachments) > 0 {
		blobs = append(blobs, emptyHash())
	}
	for _, a := range rec.Attachments {
		blobs = append(blobs, mustHash(a.Digest), mustHash(a.Blob))
	}
	for _, h := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := dst.copyBlob(src, h); err != nil {
			return fmt.Errorf("blob %s: %w", h, err)
		}
	}
	return nil
}

func hasAttachment(rec *record, digest string) bool {
	for _, a := range rec.Attachments {
		if a.Digest == digest {
			return true
		}
	}
	return false
}
