package artifact

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// manifestVersion is the version of the manifest document. A change of
// format changes it, and with it every artifact digest.
const manifestVersion = 1

// maxManifestSize bounds a manifest read back from the store.
const maxManifestSize = 256 << 20

// digestPrefix starts every digest: artifacts and blobs are named by SHA-256.
const digestPrefix = "sha256:"

// Entry is one file, directory or symbolic link of an artifact.
type Entry struct {
	// Path is slash-separated and relative to the artifact's root; it never
	// holds "." or ".." elements.
	Path string
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink, none for a
	// regular file) and the permission bits (fs.ModePerm; set-id and
	// sticky bits are not kept).
	Mode fs.FileMode
	// Size is the length of a regular file; zero otherwise.
	Size int64
	// Digest names a regular file's contents ("sha256:…"); empty otherwise.
	Digest string
	// Link is a symbolic link's target, as the link holds it.
	Link string
}

// Entry types as the manifest spells them.
const (
	typeFile    = "file"
	typeDir     = "dir"
	typeSymlink = "symlink"
)

// manifestDoc is the stored manifest. Its encoding is canonical (fields in
// declaration order, entries sorted by path), so one tree always encodes to
// the same bytes and its SHA-256 is the artifact digest.
type manifestDoc struct {
	Version int             `json:"version"`
	Entries []manifestEntry `json:"entries"`
}

type manifestEntry struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Mode   string `json:"mode,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Digest string `json:"digest,omitempty"`
	Link   string `json:"link,omitempty"`
}

// encodeManifest renders entries, which must be sorted by path, as the
// canonical manifest document.
func encodeManifest(entries []Entry) ([]byte, error) {
	doc := manifestDoc{Version: manifestVersion, Entries: make([]manifestEntry, 0, len(entries))}
	for _, e := range entries {
		me := manifestEntry{Path: e.Path}
		switch {
		case e.Mode.IsDir():
			me.Type, me.Mode = typeDir, formatPerm(e.Mode)
		case e.Mode&fs.ModeSymlink != 0:
			me.Type, me.Link = typeSymlink, e.Link
		default:
			me.Type, me.Mode, me.Size, me.Digest = typeFile, formatPerm(e.Mode), e.Size, e.Digest
		}
		doc.Entries = append(doc.Entries, me)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(data, '\n'), nil
}

func formatPerm(m fs.FileMode) string {
	return fmt.Sprintf("%04o", uint32(m.Perm()))
}

// decodeManifest parses and validates a manifest: known version and entry
// types, valid local paths in strictly ascending order, every parent
// directory listed before its children, well-formed modes and digests.
// Every problem wraps pipeline.ErrInvalid.
func decodeManifest(data []byte) ([]Entry, error) {
	if len(data) > maxManifestSize {
		return nil, invalidf("manifest of %d bytes exceeds %d", len(data), maxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc manifestDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, invalidf("manifest: %v", err)
	}
	if doc.Version != manifestVersion {
		return nil, invalidf("manifest version %d (want %d)", doc.Version, manifestVersion)
	}
	dirs := map[string]bool{".": true}
	entries := make([]Entry, 0, len(doc.Entries))
	prev := ""
	for i, me := range doc.Entries {
		e, err := me.entry()
		if err != nil {
			return nil, fmt.Errorf("manifest entry %d: %w", i, err)
		}
		if i > 0 && e.Path <= prev {
			return nil, invalidf("manifest entry %d: path %q is not after %q", i, e.Path, prev)
		}
		if !dirs[path.Dir(e.Path)] {
			return nil, invalidf("manifest entry %d: parent of %q is not a listed directory", i, e.Path)
		}
		if e.Mode.IsDir() {
			dirs[e.Path] = true
		}
		prev = e.Path
		entries = append(entries, e)
	}
	return entries, nil
}

// entry checks one decoded manifest entry and converts it.
func (me manifestEntry) entry() (Entry, error) {
	if err := checkPath(me.Path); err != nil {
		return Entry{}, err
	}
	e := Entry{Path: me.Path}
	switch me.Type {
	case typeDir:
		if me.Size != 0 || me.Digest != "" || me.Link != "" {
			return e, invalidf("directory %q has file or link fields", me.Path)
		}
		perm, err := parsePerm(me.Mode)
		e.Mode = fs.ModeDir | perm
		return e, err
	case typeFile:
		if me.Link != "" || me.Size < 0 {
			return e, invalidf("file %q has a link or a negative size", me.Path)
		}
		if _, err := parseDigest(me.Digest); err != nil {
			return e, fmt.Errorf("file %q: %w", me.Path, err)
		}
		perm, err := parsePerm(me.Mode)
		e.Mode, e.Size, e.Digest = perm, me.Size, me.Digest
		return e, err
	case typeSymlink:
		if me.Mode != "" || me.Size != 0 || me.Digest != "" || me.Link == "" || strings.ContainsRune(me.Link, 0) {
			return e, invalidf("symbolic link %q needs a target and nothing else", me.Path)
		}
		e.Mode, e.Link = fs.ModeSymlink|0o777, me.Link
		return e, nil
	}
	return e, invalidf("entry %q: unknown type %q", me.Path, me.Type)
}

// checkPath accepts a slash-separated path local to the artifact root.
func checkPath(p string) error {
	if p == "." || !fs.ValidPath(p) || strings.ContainsRune(p, 0) {
		return invalidf("path %q is not a clean relative path", p)
	}
	return nil
}

// parsePerm reads a four-digit octal permission ("0644").
func parsePerm(s string) (fs.FileMode, error) {
	if len(s) != 4 {
		return 0, invalidf("mode %q is not four octal digits", s)
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > uint64(fs.ModePerm) {
		return 0, invalidf("mode %q is not a permission", s)
	}
	return fs.FileMode(v), nil
}

// parseDigest checks a "sha256:<64 lower-case hex>" digest and returns its
// hex part.
func parseDigest(d string) (string, error) {
	h, ok := strings.CutPrefix(d, digestPrefix)
	if !ok || len(h) != 64 || strings.ToLower(h) != h {
		return "", invalidf("digest %q (want sha256: and 64 lower-case hex digits)", d)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", invalidf("digest %q (want sha256: and 64 lower-case hex digits)", d)
	}
	return h, nil
}

// invalidf formats an error wrapping pipeline.ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w %s", pipeline.ErrInvalid, fmt.Sprintf(format, args...))
}
