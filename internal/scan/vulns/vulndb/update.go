package vulndb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// DefaultBaseURL is where osv.dev publishes one all.zip per ecosystem.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultMaxSize bounds a download unless UpdateOptions says otherwise.
const DefaultMaxSize = 2 << 30

// userAgent identifies the database's requests.
const userAgent = "secpipe"

// UpdateOptions configures Update.
type UpdateOptions struct {
	// Sources are URLs of all.zip archives: http, https or file URLs, or
	// plain paths (mirrors on disk), which become file URLs.
	Sources []string
	// Ecosystems name osv.dev ecosystems ("Go", "PyPI", "Debian:12");
	// each adds BaseURL/<ecosystem, path-escaped>/all.zip to Sources.
	Ecosystems []string
	// BaseURL replaces DefaultBaseURL for Ecosystems.
	BaseURL string
	// Client makes the requests; nil means a client with connect, TLS
	// and response-header timeouts.
	Client *http.Client
	// MaxSize bounds each download in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// Now tells the time recorded in the manifest; nil means time.Now.
	Now func() time.Time
	// Warn receives each warning, as ImportOptions.Warn does.
	Warn func(error)
}

// Update fetches each source of opts (with none, every URL source the
// database in dir already has) and compiles those that changed into a new
// generation; the other sources stay. Requests are conditional: a source
// answered 304 Not Modified, or whose content has the SHA-256 already
// imported, keeps its records and gets its check time updated, without a
// new generation when nothing changed at all. Downloads stream to a file in
// dir, bounded by MaxSize; an archive must be a readable zip whose every
// member passes its CRC check, holding at least one parsable record.
//
// Update is all or nothing: any failure (a status other than 200 or 304, a
// body cut short or too large, a corrupt archive) fails the call and leaves
// the database as it was. With no source given and none recorded, the
// error matches pipeline.ErrInvalid and says to pass --source or
// --ecosystem. Update waits for other commands on dir until ctx is done.
func Update(ctx context.Context, dir string, opts UpdateOptions) (Manifest, error) {
	urls, err := updateURLs(opts)
	if err != nil {
		return Manifest{}, err
	}
	t, err := begin(ctx, dir, importOptions(opts).now())
	if err != nil {
		return Manifest{}, err
	}
	defer t.close()
	if len(urls) == 0 && t.cur != nil {
		for _, s := range t.cur.Sources {
			if s.Kind == KindURL {
				urls = append(urls, s.Name)
			}
		}
	}
	if len(urls) == 0 {
		return Manifest{}, fmt.Errorf("update: no source recorded: pass --source or --ecosystem: %w", pipeline.ErrInvalid)
	}
	f := fetcher{dir: dir, client: opts.Client, max: opts.MaxSize}
	if f.client == nil {
		f.client = defaultClient()
	}
	if f.max <= 0 {
		f.max = DefaultMaxSize
	}
	for _, u := range urls {
		if err := updateOne(ctx, t, &f, u, opts.Warn); err != nil {
			return Manifest{}, fmt.Errorf("update %s: %w", u, err)
		}
	}
	if len(t.fresh) == 0 && t.cur != nil && len(t.sources) == len(t.cur.Sources) {
		return t.touch()
	}
	return t.commit()
}

func importOptions(o UpdateOptions) ImportOptions { return ImportOptions{Now: o.Now, Warn: o.Warn} }

// updateURLs lists the sources of opts as URLs, without repeats.
func updateURLs(opts UpdateOptions) ([]string, error) {
	var urls []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	for _, src := range opts.Sources {
		u, err := sourceURL(src)
		if err != nil {
			return nil, err
		}
		add(u)
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	for _, eco := range opts.Ecosystems {
		if eco == "" {
			return nil, fmt.Errorf("update: empty ecosystem name: %w", pipeline.ErrInvalid)
		}
		add(strings.TrimRight(base, "/") + "/" + url.PathEscape(eco) + "/all.zip")
	}
	return urls, nil
}

// sourceURL normalises one --source: a URL as parsed, a plain path as the
// file URL of its absolute form.
func sourceURL(src string) (string, error) {
	if !isURL(src) {
		abs, err := filepath.Abs(src)
		if err != nil {
			return "", fmt.Errorf("update %s: %w", src, err)
		}
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return "", fmt.Errorf("update: bad source URL %q: %w: %w", src, pipeline.ErrInvalid, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme == "file" && (u.Host != "" && u.Host != "localhost" || u.Path == "") {
		return "", fmt.Errorf("update: file URL %q must name a local path: %w", src, pipeline.ErrInvalid)
	}
	return u.String(), nil
}

// updateOne fetches one source and, when it changed, compiles it.
func updateOne(ctx context.Context, t *txn, f *fetcher, u string, warn func(error)) error {
	prev, known := t.sources[u]
	got, err := f.fetch(ctx, u, prev, known)
	if err != nil {
		return err
	}
	defer got.cleanup()
	if got.notModified || known && got.sha256 == prev.SHA256 {
		prev.CheckedAt = t.now
		if got.etag != "" || got.lastModified != "" {
			prev.ETag, prev.LastModified = got.etag, got.lastModified
		}
		t.sources[u] = prev
		return nil
	}
	_, err = t.build(u, KindURL, warn, func(c *compiler) error {
		c.info.SHA256, c.info.Size = got.sha256, got.size
		c.info.ETag, c.info.LastModified = got.etag, got.lastModified
		zf, err := os.Open(got.path)
		if err != nil {
			return err
		}
		defer zf.Close()
		return readZip(ctx, u, zf, got.size, c)
	})
	return err
}

// defaultClient bounds connecting, TLS and waiting for headers, but not the
// download itself, which ctx bounds.
func defaultClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 15 * time.Second
	tr.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: tr}
}

// fetcher downloads archives into the database directory.
type fetcher struct {
	dir    string
	client *http.Client
	max    int64
}

// fetched is one fetch's outcome: not modified, or an archive on disk.
type fetched struct {
	notModified        bool
	path               string
	size               int64
	sha256             string
	etag, lastModified string
	cleanup            func()
}

// fetch gets the archive at u; prev holds the validators of the last
// fetch when known.
func (f *fetcher) fetch(ctx context.Context, u string, prev SourceInfo, known bool) (fetched, error) {
	if strings.HasPrefix(u, "file:") {
		return f.fetchFile(u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %w", pipeline.ErrInvalid, err)
	}
	req.Header.Set("User-Agent", userAgent)
	if known {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fetched{}, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && known:
		return fetched{notModified: true, cleanup: func() {}}, nil
	case resp.StatusCode != http.StatusOK:
		return fetched{}, fmt.Errorf("GET: %s", resp.Status)
	case resp.ContentLength > f.max:
		return fetched{}, fmt.Errorf("GET: %d bytes is over the limit of %d", resp.ContentLength, f.max)
	}
	got, err := f.download(resp.Body, resp.ContentLength)
	if err != nil {
		return fetched{}, err
	}
	got.etag, got.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return got, nil
}

// download streams body into a file in the database directory, hashing it,
// and checks its length against want (unless negative) and the limit.
func (f *fetcher) download(body io.Reader, want int64) (fetched, error) {
	tmp, err := os.CreateTemp(f.dir, downloadPrefix+"*")
	if err != nil {
		return fetched{}, fmt.Errorf("create download file: %w", err)
	}
	got := fetched{path: tmp.Name(), cleanup: func() { os.Remove(tmp.Name()) }}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, f.max+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		err = fmt.Errorf("download: %w", err)
	case n > f.max:
		err = fmt.Errorf("download: over the limit of %d bytes", f.max)
	case want >= 0 && n != want:
		err = fmt.Errorf("download: got %d bytes of %d", n, want)
	}
	if err != nil {
		got.cleanup()
		return fetched{}, err
	}
	got.size, got.sha256 = n, hex.EncodeToString(h.Sum(nil))
	return got, nil
}

// fetchFile reads a mirror on disk in place; its modification time stands
// for Last-Modified and its SHA-256 tells whether it changed.
func (f *fetcher) fetchFile(u string) (fetched, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %w", pipeline.ErrInvalid, err)
	}
	path := filepath.FromSlash(pu.Path)
	file, err := os.Open(path)
	if err != nil {
		return fetched{}, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return fetched{}, err
	}
	if st.Size() > f.max {
		return fetched{}, fmt.Errorf("%d bytes is over the limit of %d", st.Size(), f.max)
	}
	h := sha256.New()
	n, err := io.Copy(h, file)
	if err != nil {
		return fetched{}, fmt.Errorf("read %s: %w", path, err)
	}
	return fetched{
		path: path, size: n, sha256: hex.EncodeToString(h.Sum(nil)),
		lastModified: st.ModTime().UTC().Format(http.TimeFormat), cleanup: func() {},
	}, nil
}
