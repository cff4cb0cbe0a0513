package image

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ErrRevoked is matched (errors.Is) by the error CheckParent and Publish
// return for a revoked parent; that error also matches
// pipeline.ErrInvalid.
var ErrRevoked = errors.New("image revoked")

// RevokedError reports building on a revoked image.
type RevokedError struct {
	// Name and Digest name the revoked image, Reason why it was revoked.
	Name, Digest, Reason string
	// Via is the image checked when the revoked one is a further
	// ancestor of it; "" when it is the revoked image itself.
	Via string
}

func (e *RevokedError) Error() string {
	msg := fmt.Sprintf("image %s %s is revoked: %s", e.Name, e.Digest, e.Reason)
	if e.Via != "" {
		msg = fmt.Sprintf("image %s builds on a revoked image: %s", e.Via, msg)
	}
	return msg
}

// Is makes a RevokedError match ErrRevoked and pipeline.ErrInvalid.
func (e *RevokedError) Is(target error) bool {
	return target == ErrRevoked || target == pipeline.ErrInvalid
}

// List returns every image of every name, names sorted and each name's
// history oldest first; an image published under two names is listed
// under each.
func (s *Store) List(ctx context.Context) ([]Image, error) {
	c, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.dir, err)
	}
	var out []Image
	for _, name := range sortedKeys(c.Names) {
		for _, d := range c.Names[name] {
			if rec, ok := c.Images[d]; ok {
				out = append(out, c.image(rec, name))
			}
		}
	}
	return out, ctx.Err()
}

// Inspect returns the image ref names: a digest ("sha256:HEX", or a
// unique prefix of at least 6 hex digits), a name (its newest image),
// "NAME@CHANNEL", "NAME:CHANNEL" or "NAME@sha256:HEX". An unknown
// reference wraps pipeline.ErrNotFound, an ambiguous digest prefix
// pipeline.ErrInvalid.
func (s *Store) Inspect(ctx context.Context, ref string) (Image, error) {
	c, err := s.load()
	if err != nil {
		return Image{}, fmt.Errorf("image store %s: %w", s.dir, err)
	}
	rec, name, err := c.resolve(ref)
	if err != nil {
		return Image{}, err
	}
	return c.image(rec, name), ctx.Err()
}

// resolve finds the image ref names and the name it is seen under.
func (c *catalogue) resolve(ref string) (*record, string, error) {
	if strings.HasPrefix(ref, "sha256:") {
		return c.byDigest(ref)
	}
	if h := c.Names[ref]; len(h) > 0 {
		return c.Images[h[len(h)-1]], ref, nil
	}
	name, sel, ok := strings.Cut(ref, "@")
	if !ok {
		i := strings.LastIndex(ref, ":")
		if i < 0 {
			return nil, "", fmt.Errorf("%w: no image %q", pipeline.ErrNotFound, ref)
		}
		name, sel = ref[:i], ref[i+1:]
	}
	if strings.HasPrefix(sel, "sha256:") {
		rec, _, err := c.byDigest(sel)
		if err != nil || !contains(c.Names[name], rec.Digest) {
			return nil, "", fmt.Errorf("%w: no image %q", pipeline.ErrNotFound, ref)
		}
		return rec, name, nil
	}
	d, ok := c.Channels[name][sel]
	if !ok {
		return nil, "", fmt.Errorf("%w: no image %q (no channel %q of %q)", pipeline.ErrNotFound, ref, sel, name)
	}
	return c.Images[d], name, nil
}

// byDigest finds an image by digest or unique digest prefix.
func (c *catalogue) byDigest(d string) (*record, string, error) {
	if rec, ok := c.Images[d]; ok {
		return rec, rec.Name, nil
	}
	if len(d) < len("sha256:")+6 {
		return nil, "", fmt.Errorf("%w: no image %q (give at least 6 hex digits)", pipeline.ErrNotFound, d)
	}
	var found []*record
	for k, rec := range c.Images {
		if strings.HasPrefix(k, d) {
			found = append(found, rec)
		}
	}
	switch len(found) {
	case 0:
		return nil, "", fmt.Errorf("%w: no image %q", pipeline.ErrNotFound, d)
	case 1:
		return found[0], found[0].Name, nil
	}
	return nil, "", fmt.Errorf("%w: digest prefix %q names %d images", pipeline.ErrInvalid, d, len(found))
}

// Promote puts the image digest (or any reference Inspect accepts) on
// channel of its name, moving the channel off the image it pointed at. A
// revoked image cannot be promoted (ErrRevoked); an unknown image wraps
// pipeline.ErrNotFound, a bad channel name pipeline.ErrInvalid.
func (s *Store) Promote(ctx context.Context, digest, channel string) error {
	if !channelPattern.MatchString(channel) {
		return fmt.Errorf("%w: channel %q: use letters, digits and . _ -", pipeline.ErrInvalid, channel)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(func(c *catalogue) error {
		rec, name, err := c.resolve(digest)
		if err != nil {
			return fmt.Errorf("promote %s: %w", digest, err)
		}
		if rec.Revoked != nil {
			return fmt.Errorf("promote %s to %s: %w", digest, channel,
				&RevokedError{Name: name, Digest: rec.Digest, Reason: rec.Revoked.Reason})
		}
		setChannel(c, name, channel, rec.Digest)
		return nil
	})
}

// Revoke marks the image digest (or any reference Inspect accepts)
// revoked for reason. The image stays in the store, and on its channels,
// for forensics; Inspect shows the reason, CheckParent and Publish refuse
// to build on it or its descendants. Revoking a revoked image keeps the
// first reason. An empty reason wraps pipeline.ErrInvalid, an unknown
// image pipeline.ErrNotFound.
func (s *Store) Revoke(ctx context.Context, digest, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: revoke %s: a reason is required", pipeline.ErrInvalid, digest)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(func(c *catalogue) error {
		rec, _, err := c.resolve(digest)
		if err != nil {
			return fmt.Errorf("revoke %s: %w", digest, err)
		}
		if rec.Revoked == nil {
			rec.Revoked = &Revocation{Reason: reason, Time: time.Now().UTC()}
		}
		return nil
	})
}

// CheckParent reports whether an image may be built on digest: nil when
// neither it nor any ancestor recorded in the store is revoked, a
// *RevokedError (matching ErrRevoked and pipeline.ErrInvalid) naming the
// revoked image and its reason otherwise. A digest the store does not
// hold (an outside base image) wraps pipeline.ErrNotFound, which callers
// building on outside bases ignore.
func (s *Store) CheckParent(ctx context.Context, digest string) error {
	c, err := s.load()
	if err != nil {
		return fmt.Errorf("image store %s: %w", s.dir, err)
	}
	rec, ok := c.Images[digest]
	if !ok {
		return fmt.Errorf("%w: parent %s is not in the image store", pipeline.ErrNotFound, digest)
	}
	seen := map[string]bool{}
	for ok && !seen[rec.Digest] {
		seen[rec.Digest] = true
		if rec.Revoked != nil {
			e := &RevokedError{Name: rec.Name, Digest: rec.Digest, Reason: rec.Revoked.Reason}
			if rec.Digest != digest {
				e.Via = digest
			}
			return e
		}
		rec, ok = c.Images[rec.Parent]
	}
	return ctx.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
