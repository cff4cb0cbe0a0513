package image

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secpipe/secpipe/internal/atomicfile"
)

// Annotations of the store's index.json descriptors.
const (
	// AnnotationRefName names an image of a layout (OCI standard).
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// AnnotationCreated is the image's creation time (OCI standard).
	AnnotationCreated = "org.opencontainers.image.created"
	// AnnotationBaseDigest is the parent image's digest (OCI standard),
	// set on the image manifest.
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
	// AnnotationName is the store name an image was published under.
	AnnotationName = "io.secpipe.image.name"
	// AnnotationParent is the parent digest recorded in the catalogue.
	AnnotationParent = "io.secpipe.image.parent"
	// AnnotationChannel is the channel a NAME@CHANNEL descriptor stands for.
	AnnotationChannel = "io.secpipe.image.channel"
	// AnnotationRevoked holds the reason an image was revoked.
	AnnotationRevoked = "io.secpipe.image.revoked"
	// AnnotationTitle names an attachment's file (OCI standard).
	AnnotationTitle = "org.opencontainers.image.title"
)

// emptyJSON is the OCI 1.1 empty descriptor's contents, the config of an
// artifact manifest.
var emptyJSON = []byte("{}")

const emptyMediaType types.MediaType = "application/vnd.oci.empty.v1+json"

// layoutDir is an OCI image layout on disk whose blobs are written
// atomically (temp file, then rename), so concurrent writers of the same
// blob never expose a partial one.
type layoutDir string

func (l layoutDir) blobPath(h v1.Hash) string {
	return filepath.Join(string(l), "blobs", h.Algorithm, h.Hex)
}

// create makes the layout's skeleton when it is missing.
func (l layoutDir) create() error {
	if err := os.MkdirAll(filepath.Join(string(l), "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	marker := filepath.Join(string(l), "oci-layout")
	if _, err := os.Stat(marker); errors.Is(err, fs.ErrNotExist) {
		if err := atomicfile.WriteFile(marker, []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(string(l), "index.json")); errors.Is(err, fs.ErrNotExist) {
		return l.writeIndex(nil)
	}
	return nil
}

// writeBlob streams r into the layout and returns its digest and size; a
// non-zero want must match.
func (l layoutDir) writeBlob(r io.Reader, want v1.Hash) (v1.Hash, int64, error) {
	dir := filepath.Join(string(l), "blobs", "sha256")
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return v1.Hash{}, 0, err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return v1.Hash{}, 0, err
	}
	got := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
	if want.Hex != "" && got != want {
		return v1.Hash{}, 0, fmt.Errorf("blob digest %s, want %s", got, want)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return v1.Hash{}, 0, err
	}
	return got, n, os.Rename(f.Name(), l.blobPath(got))
}

// putBytes stores a small blob (manifest, config).
func (l layoutDir) putBytes(b []byte) (v1.Hash, int64, error) {
	return l.writeBlob(strings.NewReader(string(b)), v1.Hash{})
}

// moveIn renames the file at path into the layout as blob h, or removes it
// when the blob is already there.
func (l layoutDir) moveIn(path string, h v1.Hash) error {
	dst := l.blobPath(h)
	if _, err := os.Stat(dst); err == nil {
		return os.Remove(path)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		return err
	}
	return os.Rename(path, dst)
}

// copyBlob copies blob h from src, hard-linking when it can.
func (l layoutDir) copyBlob(src layoutDir, h v1.Hash) error {
	dst := l.blobPath(h)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.Link(src.blobPath(h), dst); err == nil {
		return nil
	}
	f, err := os.Open(src.blobPath(h))
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = l.writeBlob(f, h)
	return err
}

// readIndex reads the layout's index.json.
func (l layoutDir) readIndex() (*v1.IndexManifest, error) {
	f, err := os.Open(filepath.Join(string(l), "index.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return v1.ParseIndexManifest(f)
}

// writeIndex replaces index.json atomically with one listing descs.
func (l layoutDir) writeIndex(descs []v1.Descriptor) error {
	if descs == nil {
		descs = []v1.Descriptor{}
	}
	im := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: descs}
	data, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(string(l), "index.json"), append(data, '\n'), 0o644)
}

// imageDescriptor describes rec's manifest under the reference name ref.
func imageDescriptor(rec *record, ref string) v1.Descriptor {
	ann := map[string]string{AnnotationRefName: ref, AnnotationName: rec.Name,
		AnnotationCreated: rec.Created.UTC().Format("2006-01-02T15:04:05Z")}
	if rec.Parent != "" {
		ann[AnnotationParent] = rec.Parent
	}
	if rec.Revoked != nil {
		ann[AnnotationRevoked] = rec.Revoked.Reason
	}
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: mustHash(rec.Digest), Size: rec.ManifestSize,
		Annotations: ann}
}

// attachmentDescriptor describes an artifact manifest of rec.
func attachmentDescriptor(rec *record, a AttachmentInfo) v1.Descriptor {
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: mustHash(a.Digest), Size: a.ManifestSize,
		ArtifactType: a.ArtifactType, Annotations: map[string]string{AnnotationName: rec.Name, AnnotationTitle: a.Title}}
}

// index renders the descriptors of index.json: per name (sorted) its
// newest image as NAME, its channels as NAME@CHANNEL, older images as
// NAME@DIGEST; then every image's attachments, by image digest.
func (c *catalogue) index() []v1.Descriptor {
	var out []v1.Descriptor
	names := sortedKeys(c.Names)
	for _, name := range names {
		hist := c.Names[name]
		for i, d := range hist {
			ref := name + "@" + d
			if i == len(hist)-1 {
				ref = name
			}
			out = append(out, imageDescriptor(c.Images[d], ref))
		}
		for _, ch := range sortedKeys(c.Channels[name]) {
			desc := imageDescriptor(c.Images[c.Channels[name][ch]], name+"@"+ch)
			desc.Annotations[AnnotationChannel] = ch
			out = append(out, desc)
		}
	}
	for _, d := range sortedKeys(c.Images) {
		rec := c.Images[d]
		for _, a := range rec.Attachments {
			out = append(out, attachmentDescriptor(rec, a))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mustHash parses a digest the store wrote itself.
func mustHash(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(fmt.Sprintf("catalogue digest %q: %v", s, err))
	}
	return h
}
