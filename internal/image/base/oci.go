package base

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
)

// refNameAnnotation names an image of an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// maxIndexDepth bounds how deeply nested image indexes are followed.
const maxIndexDepth = 4

// prepareOCI flattens the image named by ref ("oci:DIR[:TAG]") into dst.
func prepareOCI(ctx context.Context, ref, dst string) (Info, error) {
	dir, tag := rootfs.ParseOCITarget(ref)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return Info{}, fmt.Errorf("oci layout %s: %w", dir, err)
	}
	img, err := pickImage(idx, tag, 0)
	if err != nil {
		return Info{}, fmt.Errorf("oci layout %s: %w", dir, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return Info{}, fmt.Errorf("oci layout %s: %w", dir, err)
	}
	if _, err := img.Layers(); err != nil {
		return Info{}, fmt.Errorf("oci layout %s: image %s: %w", dir, digest, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := Unpack(ctx, rc, dst); err != nil {
		return Info{}, fmt.Errorf("oci layout %s: image %s: %w", dir, digest, err)
	}
	return Info{Digest: digest.String(), Kind: KindOCI}, nil
}

// pickImage returns the image of idx tagged tag (its ref name, or that
// name's part after the last colon), or its only image when tag is "",
// following nested indexes to linux/amd64 or their only platform.
func pickImage(idx v1.ImageIndex, tag string, depth int) (v1.Image, error) {
	if depth > maxIndexDepth {
		return nil, fmt.Errorf("image indexes nested more than %d deep: %w", maxIndexDepth, pipeline.ErrInvalid)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var found []v1.Descriptor
	for _, d := range im.Manifests {
		if rootfs.IsAttachment(d) {
			continue // an SBOM or report attached to an image
		}
		name := d.Annotations[refNameAnnotation]
		if tag == "" || name == tag || strings.HasSuffix(name, ":"+tag) {
			found = append(found, d)
		}
	}
	if depth > 0 && len(found) > 1 {
		found = platform(found)
	}
	switch {
	case len(found) == 0 && tag != "":
		return nil, fmt.Errorf("no image tagged %q: %w", tag, pipeline.ErrNotFound)
	case len(found) == 0:
		return nil, errors.New("index lists no image")
	case len(found) > 1:
		return nil, fmt.Errorf("holds %d images; name one as oci:DIR:TAG: %w", len(found), pipeline.ErrInvalid)
	}
	d := found[0]
	switch {
	case d.MediaType.IsImage():
		return idx.Image(d.Digest)
	case d.MediaType.IsIndex():
		child, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return nil, err
		}
		return pickImage(child, "", depth+1)
	}
	return nil, fmt.Errorf("media type %q is neither an image nor an index: %w", d.MediaType, pipeline.ErrInvalid)
}

// platform keeps the linux/amd64 descriptors of a multi-platform index.
func platform(ds []v1.Descriptor) []v1.Descriptor {
	var keep []v1.Descriptor
	for _, d := range ds {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
			keep = append(keep, d)
		}
	}
	return keep
}
