package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// refNameAnnotation names an image of an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// maxIndexDepth bounds how deeply nested image indexes are followed.
const maxIndexDepth = 4

// The platform picked from a multi-platform image.
const (
	defaultOS   = "linux"
	defaultArch = "amd64"
)

// ParseOCITarget splits an "oci:DIR[:TAG]" target into the layout
// directory and the tag ("" when none is given). A DIR that itself holds
// a colon is read whole when it exists as a directory.
func ParseOCITarget(target string) (dir, tag string) {
	s := strings.TrimPrefix(target, "oci:")
	if fi, err := os.Stat(s); err == nil && fi.IsDir() {
		return s, ""
	}
	i := strings.LastIndex(s, ":")
	if i <= 0 || strings.ContainsAny(s[i+1:], `/\`) {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// IsOCILayout reports whether dir holds an OCI image layout (an
// oci-layout file beside index.json).
func IsOCILayout(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "oci-layout"))
	return err == nil
}

// OpenOCI loads the image tagged tag (its org.opencontainers.image.ref.name
// annotation, or that name's part after the last colon) from the OCI layout
// in dir into memory: the layers are flattened with their whiteouts applied
// and the result is loaded as a rootfs tarball would be (see LoadTar),
// keeping the contents keep asks for. With
// tag "", the layout must hold exactly one image. A multi-platform image
// resolves to linux/amd64, or to its only platform. Errors name the layout
// and, when the tag is unknown or missing, list the tags it holds.
func OpenOCI(dir, tag string, keep Keep) (*MemRoot, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("oci layout %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("oci layout %s: index.json: %w", dir, err)
	}
	desc, err := pickManifest(im.Manifests, tag)
	if err != nil {
		return nil, fmt.Errorf("oci layout %s: %w", dir, err)
	}
	img, err := resolveImage(idx, desc, 0)
	if err != nil {
		return nil, fmt.Errorf("oci layout %s: image %s: %w", dir, desc.Digest, err)
	}
	if _, err := img.Layers(); err != nil {
		return nil, fmt.Errorf("oci layout %s: image %s: %w", dir, desc.Digest, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	what := "oci layout " + dir
	if tag != "" {
		what += " tag " + tag
	}
	return loadStream(rc, what, keep)
}

// pickManifest chooses the descriptor named by tag among the layout's
// manifests, or the only one.
func pickManifest(all []v1.Descriptor, tag string) (v1.Descriptor, error) {
	// Artifacts attached to an image (an SBOM, a scan report: OCI 1.1
	// manifests with an artifactType) are listed beside it; they are not
	// images to open.
	ms := slices.DeleteFunc(slices.Clone(all), func(d v1.Descriptor) bool { return IsAttachment(d) })
	if len(ms) == 0 {
		return v1.Descriptor{}, errors.New("index.json lists no image")
	}
	if tag == "" {
		if len(ms) == 1 {
			return ms[0], nil
		}
		return v1.Descriptor{}, fmt.Errorf("holds %d images; name one as oci:DIR:TAG (tags: %s)", len(ms), tagList(ms))
	}
	var found []v1.Descriptor
	for _, d := range ms {
		name := d.Annotations[refNameAnnotation]
		if name == tag || strings.HasSuffix(name, ":"+tag) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return v1.Descriptor{}, fmt.Errorf("no image tagged %q (tags: %s)", tag, tagList(ms))
	case 1:
		return found[0], nil
	}
	return v1.Descriptor{}, fmt.Errorf("%d images tagged %q; name one by its full reference (tags: %s)", len(found), tag, tagList(ms))
}

// IsAttachment reports whether d is an artifact attached to an image
// rather than an image: its artifactType is set and is not an image
// configuration type (layout writers copy an image's config media type
// into artifactType).
func IsAttachment(d v1.Descriptor) bool {
	t := d.ArtifactType
	return t != "" && !strings.Contains(t, "image.config") && !strings.Contains(t, "container.image")
}

// tagList lists the reference names of ms, or digests for unnamed ones.
func tagList(ms []v1.Descriptor) string {
	var names []string
	for _, d := range ms {
		name := d.Annotations[refNameAnnotation]
		if name == "" {
			name = "untagged " + d.Digest.String()
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// resolveImage returns the image desc names, following image indexes down
// to the default platform.
func resolveImage(idx v1.ImageIndex, desc v1.Descriptor, depth int) (v1.Image, error) {
	switch {
	case desc.MediaType.IsImage():
		return idx.Image(desc.Digest)
	case !desc.MediaType.IsIndex():
		return nil, fmt.Errorf("media type %q is neither an image nor an index", desc.MediaType)
	case depth >= maxIndexDepth:
		return nil, fmt.Errorf("image indexes nested more than %d deep", maxIndexDepth)
	}
	child, err := idx.ImageIndex(desc.Digest)
	if err != nil {
		return nil, err
	}
	im, err := child.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	next, err := pickPlatform(im.Manifests)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	return resolveImage(child, next, depth+1)
}

// pickPlatform chooses linux/amd64 among an index's manifests, or the
// only platform there is. Attestation manifests (platform unknown/unknown)
// do not count.
func pickPlatform(ms []v1.Descriptor) (v1.Descriptor, error) {
	var candidates []v1.Descriptor
	for _, d := range ms {
		if d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown" {
			continue
		}
		if d.Platform != nil && d.Platform.OS == defaultOS && d.Platform.Architecture == defaultArch {
			return d, nil
		}
		candidates = append(candidates, d)
	}
	switch len(candidates) {
	case 0:
		return v1.Descriptor{}, errors.New("lists no image")
	case 1:
		return candidates[0], nil
	}
	var names []string
	for _, d := range candidates {
		if d.Platform == nil {
			names = append(names, "unspecified")
			continue
		}
		names = append(names, d.Platform.String())
	}
	return v1.Descriptor{}, fmt.Errorf("no %s/%s image among platforms %s", defaultOS, defaultArch, strings.Join(names, ", "))
}
