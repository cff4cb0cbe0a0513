package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Attach attaches files to the stored image digest (or any reference
// Inspect accepts) as OCI 1.1 artifact manifests whose subject is the
// image, listed in index.json. Attaching the same file again is harmless.
// An unknown image wraps pipeline.ErrNotFound, a missing file
// pipeline.ErrNotFound, an attachment without artifact type
// pipeline.ErrInvalid.
func (s *Store) Attach(ctx context.Context, ref string, atts ...Attachment) error {
	img, err := s.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	c, err := s.load()
	if err != nil {
		return err
	}
	infos, err := s.writeAttachments(ctx, c.Images[img.Digest], atts)
	if err != nil {
		return fmt.Errorf("attach to %s %s: %w", img.Name, img.Digest, err)
	}
	return s.update(func(c *catalogue) error {
		rec, ok := c.Images[img.Digest]
		if !ok {
			return fmt.Errorf("%w: image %s", pipeline.ErrNotFound, img.Digest)
		}
		rec.Attachments = mergeAttachments(rec.Attachments, infos)
		return nil
	})
}

// writeAttachments stores each file and its artifact manifest, whose
// subject is rec's manifest.
func (s *Store) writeAttachments(ctx context.Context, rec *record, atts []Attachment) ([]AttachmentInfo, error) {
	if len(atts) == 0 {
		return nil, nil
	}
	if _, _, err := s.layout().putBytes(emptyJSON); err != nil {
		return nil, err
	}
	subject := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: mustHash(rec.Digest), Size: rec.ManifestSize}
	var out []AttachmentInfo
	for _, a := range atts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := s.writeAttachment(a, subject, rec.Created)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", a.Path, err)
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *Store) writeAttachment(a Attachment, subject v1.Descriptor, created time.Time) (AttachmentInfo, error) {
	if a.ArtifactType == "" {
		return AttachmentInfo{}, fmt.Errorf("%w: no artifact type", pipeline.ErrInvalid)
	}
	if a.MediaType == "" {
		a.MediaType = a.ArtifactType
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return AttachmentInfo{}, statErr(err)
	}
	defer f.Close()
	blob, size, err := s.layout().writeBlob(f, v1.Hash{})
	if err != nil {
		return AttachmentInfo{}, err
	}
	title := filepath.Base(a.Path)
	m := v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: a.ArtifactType,
		Config: v1.Descriptor{MediaType: emptyMediaType, Digest: emptyHash(), Size: int64(len(emptyJSON)), Data: emptyJSON},
		Layers: []v1.Descriptor{{MediaType: types.MediaType(a.MediaType), Digest: blob, Size: size,
			Annotations: map[string]string{AnnotationTitle: title}}},
		Subject:     &subject,
		Annotations: map[string]string{AnnotationCreated: created.UTC().Format(time.RFC3339)},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return AttachmentInfo{}, err
	}
	d, n, err := s.layout().putBytes(raw)
	if err != nil {
		return AttachmentInfo{}, err
	}
	return AttachmentInfo{ArtifactType: a.ArtifactType, MediaType: a.MediaType, Digest: d.String(), ManifestSize: n,
		Blob: blob.String(), Size: size, Title: title}, nil
}

// mergeAttachments adds the new attachments not already listed.
func mergeAttachments(have, add []AttachmentInfo) []AttachmentInfo {
	for _, a := range add {
		dup := false
		for _, h := range have {
			dup = dup || h.Digest == a.Digest
		}
		if !dup {
			have = append(have, a)
		}
	}
	return have
}

func emptyHash() v1.Hash {
	h, _, _ := v1.SHA256(bytes.NewReader(emptyJSON))
	return h
}

// fileLayer is a Layer as go-containerregistry sees it, read from its file.
type fileLayer struct{ l Layer }

func (f fileLayer) Digest() (v1.Hash, error)            { return f.l.Digest, nil }
func (f fileLayer) DiffID() (v1.Hash, error)            { return f.l.DiffID, nil }
func (f fileLayer) Size() (int64, error)                { return f.l.Size, nil }
func (f fileLayer) MediaType() (types.MediaType, error) { return f.l.MediaType, nil }
func (f fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(f.l.Path) }
func (f fileLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("uncompressed contents of a stored layer are not read")
}

var _ v1.Layer = fileLayer{}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func jsonIndent(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	return append(data, '\n'), err
}

func isNotFound(err error) bool {
	return errors.Is(err, pipeline.ErrNotFound) || errors.Is(err, fs.ErrNotExist)
}
