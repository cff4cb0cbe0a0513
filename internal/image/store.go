package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/secpipe/secpipe/internal/atomicfile"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// Store is a local image store: one OCI image layout at its directory
// (oci-layout, index.json, blobs/) plus catalogue.json (names and their
// history, channels, ancestry, revocations), a lock file and tmp/. Writers
// (Publish, Attach, Promote, Revoke) take an exclusive flock on the store,
// so several goroutines and processes may share one; readers read the
// catalogue, which is always replaced atomically, without locking. A
// Store holds no open files between calls.
type Store struct {
	dir string
}

// OpenStore opens the store at dir, creating it when missing.
func OpenStore(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", dir, err)
	}
	s := &Store{dir: abs}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return nil, fmt.Errorf("image store %s: %w", dir, err)
	}
	if err := s.layout().create(); err != nil {
		return nil, fmt.Errorf("image store %s: %w", dir, err)
	}
	return s, nil
}

// LayoutPath is the store's OCI layout directory, readable as
// "oci:PATH:NAME" (the newest image of NAME) or "oci:PATH:NAME@CHANNEL".
func (s *Store) LayoutPath() string { return s.dir }

func (s *Store) layout() layoutDir         { return layoutDir(s.dir) }
func (s *Store) tmpDir() string            { return filepath.Join(s.dir, "tmp") }
func (s *Store) catalogueFile() string     { return filepath.Join(s.dir, "catalogue.json") }
func (s *Store) lockPath() string          { return filepath.Join(s.dir, ".lock") }
func (s *Store) load() (*catalogue, error) { return loadCatalogue(s.catalogueFile()) }

// Config is the runtime configuration of an image.
type Config struct {
	Env        []string `json:"env,omitempty"`
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
	User       string   `json:"user,omitempty"`
	// ExposedPorts are "PORT/PROTO" ("8080/tcp").
	ExposedPorts []string `json:"exposedPorts,omitempty"`
}

// PublishRequest says what Publish writes.
type PublishRequest struct {
	// Name names the image (letters, digits, ".", "_", "-", "/"); required.
	Name string
	// RootFS is the directory written as the image's only layer.
	RootFS string
	// Parent is the digest of the base image, "" for none.
	Parent string
	// Labels go into the image config (org.opencontainers.image.revision,
	// secpipe.execution, ...).
	Labels map[string]string
	Config Config
	// Attachments are attached as OCI 1.1 artifacts referring to the image.
	Attachments []Attachment
	// Channel, when set, puts the image on that channel of Name.
	Channel string
	// Created is the image's creation time; zero means the Unix epoch,
	// keeping the digest reproducible.
	Created time.Time
}

// Attachment is a file attached to an image as an OCI artifact.
type Attachment struct {
	// ArtifactType is the artifact manifest's artifactType
	// ("application/vnd.cyclonedx+json").
	ArtifactType string
	// MediaType is the file's media type; "" uses ArtifactType.
	MediaType string
	Path      string
}

// AttachmentInfo describes a stored attachment.
type AttachmentInfo struct {
	ArtifactType string `json:"artifactType"`
	MediaType    string `json:"mediaType"`
	// Digest and ManifestSize are those of the artifact manifest; Blob and
	// Size those of the attached file; Title is its base name.
	Digest       string `json:"digest"`
	ManifestSize int64  `json:"manifestSize"`
	Blob         string `json:"blob"`
	Size         int64  `json:"size"`
	Title        string `json:"title"`
}

// Revocation records why and when an image was revoked.
type Revocation struct {
	Reason string    `json:"reason"`
	Time   time.Time `json:"time"`
}

// Image is a published image as the catalogue knows it.
type Image struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Parent string `json:"parent,omitempty"`
	// Created is the config's creation time (the epoch unless the request
	// set one); Published is when the store recorded it.
	Created     time.Time         `json:"created"`
	Published   time.Time         `json:"published"`
	Labels      map[string]string `json:"labels,omitempty"`
	Channels    []string          `json:"channels,omitempty"`
	Revoked     *Revocation       `json:"revoked,omitempty"`
	Attachments []AttachmentInfo  `json:"attachments,omitempty"`
}

var (
	namePattern    = regexp.MustCompile(`^[a-z0-9]+(?:[._/-][a-z0-9]+)*$`)
	channelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// Publish writes p.RootFS as a single-layer image (gzip layer, OCI media
// types, created at p.Created), records it under p.Name (the newest image
// of that name), attaches p.Attachments and puts it on p.Channel. The
// same tree, labels, config, parent and time give the same digest;
// publishing an image again is harmless. A bad name or channel wraps
// pipeline.ErrInvalid, a revoked parent is an ErrRevoked error, a missing
// RootFS or attachment wraps pipeline.ErrNotFound. The layer is built
// outside the store's lock; only the catalogue update holds it.
func (s *Store) Publish(ctx context.Context, p PublishRequest) (Image, error) {
	if !namePattern.MatchString(p.Name) {
		return Image{}, fmt.Errorf("%w: image name %q: use lower-case letters, digits and . _ - /", pipeline.ErrInvalid, p.Name)
	}
	if p.Channel != "" && !channelPattern.MatchString(p.Channel) {
		return Image{}, fmt.Errorf("%w: image %s: channel %q: use letters, digits and . _ -", pipeline.ErrInvalid, p.Name, p.Channel)
	}
	if p.Parent != "" {
		if err := s.CheckParent(ctx, p.Parent); err != nil && !isNotFound(err) {
			return Image{}, fmt.Errorf("publish %s: %w", p.Name, err)
		}
	}
	rec, err := s.writeImage(ctx, p)
	if err != nil {
		return Image{}, fmt.Errorf("publish %s: %w", p.Name, err)
	}
	atts, err := s.writeAttachments(ctx, rec, p.Attachments)
	if err != nil {
		return Image{}, fmt.Errorf("publish %s: %w", p.Name, err)
	}
	var img Image
	err = s.update(func(c *catalogue) error {
		if old, ok := c.Images[rec.Digest]; ok {
			rec = old // keep the first record: its time, name, revocation
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
		return Image{}, fmt.Errorf("publish %s: %w", p.Name, err)
	}
	return img, nil
}

// writeImage writes the layer, config and manifest blobs of p.
func (s *Store) writeImage(ctx context.Context, p PublishRequest) (*record, error) {
	layer, err := WriteLayer(ctx, p.RootFS, LayerOptions{TmpDir: s.tmpDir()})
	if err != nil {
		return nil, err
	}
	defer layer.Remove()
	created := p.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	created = created.UTC().Truncate(time.Second)
	img, err := buildImage(layer, p, created)
	if err != nil {
		return nil, err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	if err := s.layout().moveIn(layer.Path, layer.Digest); err != nil {
		return nil, fmt.Errorf("store layer: %w", err)
	}
	if _, _, err := s.layout().writeBlob(bytesReader(rawCfg), cfgName); err != nil {
		return nil, fmt.Errorf("store config: %w", err)
	}
	d, n, err := s.layout().putBytes(manifest)
	if err != nil {
		return nil, fmt.Errorf("store manifest: %w", err)
	}
	return &record{Name: p.Name, Digest: d.String(), ManifestSize: n, Parent: p.Parent, Created: created,
		Published: time.Now().UTC(), Labels: p.Labels}, nil
}

// buildImage assembles the image of one layer with go-containerregistry.
func buildImage(layer Layer, p PublishRequest, created time.Time) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: fileLayer{layer}, MediaType: layer.MediaType,
		History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "secpipe image publish " + p.Name}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = runtime.GOARCH, "linux", v1.Time{Time: created}
	cf.Config.Env, cf.Config.Entrypoint, cf.Config.Cmd = p.Config.Env, p.Config.Entrypoint, p.Config.Cmd
	cf.Config.WorkingDir, cf.Config.User, cf.Config.Labels = p.Config.WorkingDir, p.Config.User, p.Labels
	if len(p.Config.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, port := range p.Config.ExposedPorts {
			cf.Config.ExposedPorts[port] = struct{}{}
		}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	ann := map[string]string{AnnotationCreated: created.Format(time.RFC3339)}
	if p.Parent != "" {
		ann[AnnotationBaseDigest] = p.Parent
	}
	return mutate.Annotations(img, ann).(v1.Image), nil
}

// update applies fn to the catalogue under the store's lock, then writes
// catalogue.json and index.json atomically.
func (s *Store) update(fn func(*catalogue) error) error {
	l, err := lock(s.lockPath())
	if err != nil {
		return err
	}
	defer l.unlock()
	c, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return err
	}
	data, err := jsonIndent(c)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.catalogueFile(), data, 0o644); err != nil {
		return err
	}
	return s.layout().writeIndex(c.index())
}

func setChannel(c *catalogue, name, channel, digest string) {
	if c.Channels[name] == nil {
		c.Channels[name] = map[string]string{}
	}
	c.Channels[name][channel] = digest
}

// image turns a record, seen under name, into the Image callers see.
func (c *catalogue) image(rec *record, name string) Image {
	return Image{Name: name, Digest: rec.Digest, Parent: rec.Parent, Created: rec.Created,
		Published: rec.Published, Labels: rec.Labels, Channels: c.channelsOf(name, rec.Digest),
		Revoked: rec.Revoked, Attachments: rec.Attachments}
}
