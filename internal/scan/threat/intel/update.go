package intel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/atomicfile"
	"github.com/secpipe/secpipe/internal/pipeline"
)

const manifestFile = "manifest.json"

// UpdateOptions configures [Update].
type UpdateOptions struct {
	// Sources are the feeds to fetch: http:// or https:// URLs, file:// URLs or
	// local paths. When empty, every feed already in the manifest is refreshed.
	Sources []string
	// Client performs HTTP requests; nil means a client with a 60 s timeout.
	Client *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Parse sets the limits and leniency used to validate each feed.
	Parse ParseOptions
}

// Manifest records the feeds cached in a directory. It is stored there as
// manifest.json.
type Manifest struct {
	Feeds []Feed `json:"feeds"`
}

// Feed is one cached feed.
type Feed struct {
	// Source is the URL or path the feed is fetched from; its list name.
	Source string `json:"source"`
	// File is the cached copy's name inside the cache directory.
	File string `json:"file"`
	// ETag and LastModified are the validators for conditional requests.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// SHA256 is the digest of the cached copy.
	SHA256 string `json:"sha256,omitempty"`
	// Entries counts the entries in the cached copy.
	Entries int `json:"entries"`
	// Checked is when the feed was last fetched successfully (200 or 304).
	Checked time.Time `json:"checked,omitzero"`
	// Changed is when the cached copy last changed.
	Changed time.Time `json:"changed,omitzero"`
	// Error is the last fetch's error, empty after a success.
	Error string `json:"error,omitempty"`
}

// DefaultDir returns the cache directory for feeds: $SECPIPE_THREAT_DIR when
// set, else secpipe/threat-lists under the user cache directory.
func DefaultDir() (string, error) {
	if d := os.Getenv("SECPIPE_THREAT_DIR"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("threat list directory: %w", err)
	}
	return filepath.Join(c, "secpipe", "threat-lists"), nil
}

// Update fetches each source into dir, creating it if needed. A feed is
// requested conditionally (If-None-Match, If-Modified-Since) when a copy is
// cached, validated with Parse, and written by atomic rename, so a failed
// fetch or an invalid feed leaves the previous copy in place. Feeds already in
// the manifest but not in opts.Sources are kept untouched. The returned
// Manifest is also saved in dir; the error joins the per-feed failures, each
// naming its source. Update must not run concurrently on the same dir.
func Update(ctx context.Context, dir string, opts UpdateOptions) (Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("update threat lists: %w", err)
	}
	m, err := readManifest(dir)
	if err != nil {
		return Manifest{}, err
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sources := opts.Sources
	if len(sources) == 0 {
		for _, f := range m.Feeds {
			sources = append(sources, f.Source)
		}
	}
	var errs []error
	for _, src := range sources {
		i := m.index(src)
		if i < 0 {
			m.Feeds = append(m.Feeds, Feed{Source: src, File: feedFile(src)})
			i = len(m.Feeds) - 1
		}
		f := &m.Feeds[i]
		if err := updateFeed(ctx, dir, f, opts); err != nil {
			f.Error = err.Error()
			errs = append(errs, fmt.Errorf("update %s: %w", src, err))
			continue
		}
		f.Error = ""
	}
	if err := writeManifest(dir, m); err != nil {
		errs = append(errs, err)
	}
	return m, errors.Join(errs...)
}

// Cached loads the feeds cached in dir, in manifest order, as custom lists
// named by their source. A directory without a manifest holds no feeds and is
// not an error.
func Cached(dir string) ([]*List, Manifest, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, Manifest{}, err
	}
	var lists []*List
	for _, f := range m.Feeds {
		b, err := os.ReadFile(filepath.Join(dir, f.File))
		if errors.Is(err, os.ErrNotExist) {
			continue // never fetched successfully
		}
		if err != nil {
			return nil, m, fmt.Errorf("load cached feed %s: %w", f.Source, err)
		}
		l, err := ParseWith(f.Source, bytes.NewReader(b), CategoryCustom, ParseOptions{Lenient: true})
		if err != nil {
			return nil, m, fmt.Errorf("load cached feed: %w", err)
		}
		lists = append(lists, l)
	}
	return lists, m, nil
}

func (m *Manifest) index(src string) int {
	for i, f := range m.Feeds {
		if f.Source == src {
			return i
		}
	}
	return -1
}

// feedFile names a source's cached copy after its digest.
func feedFile(src string) string {
	sum := sha256.Sum256([]byte(src))
	return hex.EncodeToString(sum[:8]) + ".txt"
}

// updateFeed fetches one feed and, when it changed and is valid, replaces
// the cached copy and f's metadata.
func updateFeed(ctx context.Context, dir string, f *Feed, opts UpdateOptions) error {
	path := filepath.Join(dir, f.File)
	_, statErr := os.Stat(path)
	cached := statErr == nil
	body, etag, lastMod, err := fetch(ctx, f, cached, opts)
	if err != nil {
		return err
	}
	now := opts.Now().UTC()
	if body == nil { // not modified
		f.Checked = now
		return nil
	}
	popts := opts.Parse
	l, err := ParseWith(f.Source, bytes.NewReader(body), CategoryCustom, popts)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	if !cached || digest != f.SHA256 {
		if err := atomicfile.WriteFile(path, body, 0o644); err != nil {
			return err
		}
		f.Changed = now
	}
	f.SHA256, f.ETag, f.LastModified, f.Entries, f.Checked = digest, etag, lastMod, l.Len(), now
	return nil
}

// fetch returns the feed body, or nil when the server answered 304.
func fetch(ctx context.Context, f *Feed, cached bool, opts UpdateOptions) (body []byte, etag, lastMod string, err error) {
	limit := opts.Parse.withDefaults().MaxBytes
	u, perr := url.Parse(f.Source)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") {
		body, err = readLocal(f.Source, u, limit)
		return body, "", "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.Source, nil)
	if err != nil {
		return nil, "", "", fmt.Errorf("request: %w", err)
	}
	req.Header.Set("User-Agent", "secpipe")
	if cached && f.ETag != "" {
		req.Header.Set("If-None-Match", f.ETag)
	}
	if cached && f.LastModified != "" {
		req.Header.Set("If-Modified-Since", f.LastModified)
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		return nil, "", "", fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && cached {
		return nil, f.ETag, f.LastModified, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", "", fmt.Errorf("fetch: unexpected status %s", resp.Status)
	}
	body, err = readLimited(resp.Body, limit)
	return body, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), err
}

// readLocal reads a file:// URL or a path.
func readLocal(src string, u *url.URL, limit int64) ([]byte, error) {
	path := src
	if u != nil && u.Scheme == "file" {
		path = u.Path
	} else if u != nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return nil, fmt.Errorf("unsupported scheme %q: %w", u.Scheme, pipeline.ErrInvalid)
	}
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", path, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer fh.Close()
	return readLimited(fh, limit)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes: %w", limit, pipeline.ErrInvalid)
	}
	return b, nil
}

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("read threat list manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read threat list manifest %s: %w: %w", filepath.Join(dir, manifestFile), pipeline.ErrInvalid, err)
	}
	for _, f := range m.Feeds {
		if f.File != feedFile(f.Source) || strings.ContainsAny(f.File, `/\`) {
			return m, fmt.Errorf("threat list manifest: feed %s: unexpected file %q: %w", f.Source, f.File, pipeline.ErrInvalid)
		}
	}
	return m, nil
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write threat list manifest: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, manifestFile), append(b, '\n'), 0o644)
}
