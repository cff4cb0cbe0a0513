package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// catalogueVersion is the format of catalogue.json.
const catalogueVersion = 1

// catalogue is the store's record of names, channels, ancestry and
// revocations; catalogue.json holds it and index.json is rendered from it.
type catalogue struct {
	Version int `json:"version"`
	// Images holds every published image by manifest digest.
	Images map[string]*record `json:"images"`
	// Names maps a name to the digests published under it, oldest first.
	Names map[string][]string `json:"names"`
	// Channels maps a name to its channels and the digest each points at.
	Channels map[string]map[string]string `json:"channels"`
}

// record is one image of the catalogue.
type record struct {
	Name         string            `json:"name"`
	Digest       string            `json:"digest"`
	ManifestSize int64             `json:"manifestSize"`
	Parent       string            `json:"parent,omitempty"`
	Created      time.Time         `json:"created"`
	Published    time.Time         `json:"published"`
	Labels       map[string]string `json:"labels,omitempty"`
	Revoked      *Revocation       `json:"revoked,omitempty"`
	Attachments  []AttachmentInfo  `json:"attachments,omitempty"`
}

func newCatalogue() *catalogue {
	return &catalogue{Version: catalogueVersion, Images: map[string]*record{}, Names: map[string][]string{},
		Channels: map[string]map[string]string{}}
}

// loadCatalogue reads the catalogue at file; a missing file is an empty
// catalogue.
func loadCatalogue(file string) (*catalogue, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return newCatalogue(), nil
	}
	if err != nil {
		return nil, err
	}
	c := newCatalogue()
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if c.Version != catalogueVersion {
		return nil, fmt.Errorf("%s: catalogue version %d, want %d", file, c.Version, catalogueVersion)
	}
	if c.Images == nil {
		c.Images = map[string]*record{}
	}
	if c.Names == nil {
		c.Names = map[string][]string{}
	}
	if c.Channels == nil {
		c.Channels = map[string]map[string]string{}
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// check verifies that every digest parses and every name and channel
// points at a recorded image.
func (c *catalogue) check() error {
	for d, rec := range c.Images {
		if rec == nil || rec.Digest != d {
			return fmt.Errorf("image %s: record does not match its key", d)
		}
		for _, s := range append([]string{d}, attachmentDigests(rec)...) {
			if _, err := v1.NewHash(s); err != nil {
				return fmt.Errorf("image %s: %w", d, err)
			}
		}
	}
	for name, hist := range c.Names {
		for _, d := range hist {
			if c.Images[d] == nil {
				return fmt.Errorf("name %s: unknown image %s", name, d)
			}
		}
	}
	for name, chans := range c.Channels {
		for ch, d := range chans {
			if c.Images[d] == nil {
				return fmt.Errorf("channel %s@%s: unknown image %s", name, ch, d)
			}
		}
	}
	return nil
}

func attachmentDigests(rec *record) []string {
	var out []string
	for _, a := range rec.Attachments {
		out = append(out, a.Digest, a.Blob)
	}
	return out
}

// channelsOf lists the channels of name pointing at digest, sorted.
func (c *catalogue) channelsOf(name, digest string) []string {
	var out []string
	for ch, d := range c.Channels[name] {
		if d == digest {
			out = append(out, ch)
		}
	}
	slices.Sort(out)
	return out
}

// addName appends digest to name's history unless it is already the
// newest.
func (c *catalogue) addName(name, digest string) {
	h := c.Names[name]
	if len(h) > 0 && h[len(h)-1] == digest {
		return
	}
	for i, d := range h {
		if d == digest { // republished: it becomes the newest again
			h = append(h[:i:i], h[i+1:]...)
			break
		}
	}
	c.Names[name] = append(h, digest)
}

// lockFile holds an exclusive flock on the store; each open file
// description locks on its own, so goroutines and processes exclude each
// other alike.
type lockFile struct{ f *os.File }

func lock(file string) (*lockFile, error) {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	return &lockFile{f: f}, nil
}

func (l *lockFile) unlock() {
	// Closing the descriptor releases the lock.
	l.f.Close()
}
