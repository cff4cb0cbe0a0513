package vulndb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ImportOptions configures Import and Remove.
type ImportOptions struct {
	// Now tells the time recorded in the manifest; nil means time.Now.
	Now func() time.Time
	// Warn receives each warning: a record skipped or a part of a record
	// dropped (an *osv.FieldError naming the file and field). It is
	// called from the calling goroutine, one warning at a time. nil
	// drops them; they are counted in the manifest either way.
	Warn func(error)
}

func (o ImportOptions) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

// Import compiles each SRC (an OSV JSON or YAML file, a folder of them or
// an all.zip) into the database in dir, creating it if needed: each SRC
// becomes a source named by its cleaned absolute path, replacing the
// source of that name; other sources stay. It returns the new manifest.
//
// Import is all or nothing: a SRC that cannot be read (missing, an archive
// that is corrupt, no parsable record in it) fails the whole call and the
// database stays as it was. It waits for other commands on dir (see the
// package doc) until ctx is done.
func Import(ctx context.Context, dir string, srcs []string, opts ImportOptions) (Manifest, error) {
	if len(srcs) == 0 {
		return Manifest{}, fmt.Errorf("import: no source given: %w", pipeline.ErrInvalid)
	}
	type source struct {
		name string
		kind SourceKind
	}
	var list []source
	seen := map[string]bool{}
	for _, src := range srcs {
		name, kind, err := resolvePath(src)
		if err != nil {
			return Manifest{}, err
		}
		if !seen[name] {
			seen[name] = true
			list = append(list, source{name, kind})
		}
	}
	t, err := begin(ctx, dir, opts.now())
	if err != nil {
		return Manifest{}, err
	}
	defer t.close()
	for _, s := range list {
		_, err := t.build(s.name, s.kind, opts.Warn, func(c *compiler) error {
			switch s.kind {
			case KindDir:
				return readDir(ctx, s.name, c)
			case KindZip:
				return readZipFile(ctx, s.name, s.name, c)
			}
			return readRecordFile(ctx, s.name, c)
		})
		if err != nil {
			return Manifest{}, fmt.Errorf("import %s: %w", s.name, err)
		}
	}
	return t.commit()
}

// resolvePath names a local source and tells its kind: a folder, an
// archive (by its .zip extension or its first bytes) or a record file.
func resolvePath(src string) (name string, kind SourceKind, err error) {
	if isURL(src) {
		return "", "", fmt.Errorf("import %s: a URL: fetch it with `secpipe db update --source`: %w", src, pipeline.ErrInvalid)
	}
	name, err = filepath.Abs(src)
	if err != nil {
		return "", "", fmt.Errorf("import %s: %w", src, err)
	}
	st, err := os.Stat(name)
	if err != nil {
		return "", "", fmt.Errorf("import %s: %w", src, err)
	}
	if st.IsDir() {
		return name, KindDir, nil
	}
	if strings.EqualFold(filepath.Ext(name), ".zip") || hasZipMagic(name) {
		return name, KindZip, nil
	}
	return name, KindFile, nil
}

// hasZipMagic reports whether the file starts like a zip archive.
func hasZipMagic(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 4)
	_, err = io.ReadFull(f, b)
	return err == nil && bytes.Equal(b, []byte("PK\x03\x04"))
}

// isURL reports whether src is a URL the database can fetch.
func isURL(src string) bool {
	for _, p := range []string{"http://", "https://", "file://"} {
		if len(src) >= len(p) && strings.EqualFold(src[:len(p)], p) {
			return true
		}
	}
	return false
}

// Remove drops the source called name (as the manifest lists it; a path is
// also tried as its absolute form) from the database in dir and returns the
// new manifest. An unknown name is an error matching pipeline.ErrNotFound.
// Like Import it waits for other commands and is all or nothing.
func Remove(ctx context.Context, dir, name string, opts ImportOptions) (Manifest, error) {
	t, err := begin(ctx, dir, opts.now())
	if err != nil {
		return Manifest{}, err
	}
	defer t.close()
	if t.cur == nil {
		return Manifest{}, notFound(dir)
	}
	key := name
	if _, ok := t.sources[key]; !ok && !isURL(name) {
		if abs, err := filepath.Abs(name); err == nil {
			key = abs
		}
	}
	if _, ok := t.sources[key]; !ok {
		return Manifest{}, fmt.Errorf("remove %s: no such source: %w", name, pipeline.ErrNotFound)
	}
	delete(t.sources, key)
	return t.commit()
}
