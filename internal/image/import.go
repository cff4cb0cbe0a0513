package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ImportRequest says what Import adds to the store.
type ImportRequest struct {
	// Layout is the OCI image layout directory holding the image; Tag
	// names it (its org.opencontainers.image.ref.name, or that name's
	// part after the last colon), "" for the layout's only image.
	Layout, Tag string
	// Digest, when set, is the digest the image must have: the one a scan
	// judged, say. Another image there wraps pipeline.ErrInvalid.
	Digest string
	// Name, Attachments and Channel are as in PublishRequest.
	Name        string
	Attachments []Attachment
	Channel     string
}

// Import adds the image of an OCI layout (one Export or an unpublished
// image build wrote) to the store under p.Name, unchanged: its digest,
// layers, config and labels stay those of the layout. Its parent is the
// manifest's org.opencontainers.image.base.digest annotation and is
// checked as Publish checks it (a revoked parent is an ErrRevoked error).
// Every blob is copied and checked against its digest. A bad name,
// channel, tag or manifest wraps pipeline.ErrInvalid; a missing layout or
// blob pipeline.ErrNotFound. Importing an image again is harmless.
func (s *Store) Import(ctx context.Context, p ImportRequest) (Image, error) {
	if !namePattern.MatchString(p.Name) {
		return Image{}, fmt.Errorf("%w: image name %q: use lower-case letters, digits and . _ - /", pipeline.ErrInvalid, p.Name)
	}
	if p.Channel != "" && !channelPattern.MatchString(p.Channel) {
		return Image{}, fmt.Errorf("%w: image %s: channel %q: use letters, digits and . _ -", pipeline.ErrInvalid, p.Name, p.Channel)
	}
	rec, blobs, err := readLayoutImage(p)
	if err != nil {
		return Image{}, fmt.Errorf("import %s from %s: %w", p.Name, p.Layout, err)
	}
	if rec.Parent != "" {
		if err := s.CheckParent(ctx, rec.Parent); err != nil && !isNotFound(err) {
			return Image{}, fmt.Errorf("import %s: %w", p.Name, err)
		}
	}
	for _, h := range blobs {
		if err := ctx.Err(); err != nil {
			return Image{}, err
		}
		if err := s.copyVerified(layoutDir(p.Layout), h); err != nil {
			return Image{}, fmt.Errorf("import %s from %s: blob %s: %w", p.Name, p.Layout, h, err)
		}
	}
	atts, err := s.writeAttachments(ctx, rec, p.Attachments)
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", p.Name, err)
	}
	var img Image
	err = s.update(func(c *catalogue) error {
		if old, ok := c.Images[rec.Digest]; ok {
			rec = old
		} else {
			c.Images[rec.Digest] = rec
		}
		rec.Attachments = mergeAttachments(rec.Attachments, atts)
		c.addName(p.Name, rec.Digest)
		if p.Channel != "" {
			setChannel(c, p.Name, p.Channel, rec.Digest)
		}
		img = c.image(rec, p.Name)
		return nil
	})
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", p.Name, err)
	}
	return img, nil
}

// readLayoutImage reads the record of the layout's image and lists its
// blobs: manifest, config and layers.
func readLayoutImage(p ImportRequest) (*record, []v1.Hash, error) {
	if _, err := os.Stat(p.Layout); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: no OCI layout there", pipeline.ErrNotFound)
	}
	idx, err := layout.ImageIndexFromPath(p.Layout)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", pipeline.ErrInvalid, err)
	}
	desc, err := pickDescriptor(idx, p.Tag)
	if err != nil {
		return nil, nil, err
	}
	if p.Digest != "" && desc.Digest.String() != p.Digest {
		return nil, nil, fmt.Errorf("%w: the layout's image is %s, not %s", pipeline.ErrInvalid, desc.Digest, p.Digest)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: image %s: %v", pipeline.ErrInvalid, desc.Digest, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: image %s: %v", pipeline.ErrInvalid, desc.Digest, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: image %s: config: %v", pipeline.ErrInvalid, desc.Digest, err)
	}
	blobs := []v1.Hash{desc.Digest, m.Config.Digest}
	for _, l := range m.Layers {
		blobs = append(blobs, l.Digest)
	}
	rec := &record{Name: p.Name, Digest: desc.Digest.String(), ManifestSize: desc.Size,
		Parent: m.Annotations[AnnotationBaseDigest], Created: cf.Created.UTC(), Published: time.Now().UTC(),
		Labels: cf.Config.Labels}
	return rec, blobs, nil
}

// copyVerified copies blob h of src into the store, checking its digest.
func (s *Store) copyVerified(src layoutDir, h v1.Hash) error {
	if _, err := os.Stat(s.layout().blobPath(h)); err == nil {
		return nil
	}
	f, err := os.Open(src.blobPath(h))
	if err != nil {
		return statErr(err)
	}
	defer f.Close()
	_, _, err = s.layout().writeBlob(f, h)
	return err
}

// pickDescriptor returns the image manifest of idx named tag, or its only
// one when tag is "". Attachments are not images.
func pickDescriptor(idx v1.ImageIndex, tag string) (v1.Descriptor, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: %v", pipeline.ErrInvalid, err)
	}
	var found []v1.Descriptor
	seen := map[v1.Hash]bool{}
	for _, d := range im.Manifests {
		if d.ArtifactType != "" || d.MediaType != types.OCIManifestSchema1 || seen[d.Digest] {
			continue
		}
		name := d.Annotations[AnnotationRefName]
		if tag == "" || name == tag || strings.HasSuffix(name, ":"+tag) {
			seen[d.Digest] = true
			found = append(found, d)
		}
	}
	switch {
	case len(found) == 0 && tag != "":
		return v1.Descriptor{}, fmt.Errorf("%w: no OCI image manifest tagged %q", pipeline.ErrNotFound, tag)
	case len(found) == 0:
		return v1.Descriptor{}, fmt.Errorf("%w: the layout lists no OCI image manifest", pipeline.ErrInvalid)
	case len(found) > 1:
		return v1.Descriptor{}, fmt.Errorf("%w: the layout holds %d images; name one", pipeline.ErrInvalid, len(found))
	}
	return found[0], nil
}
