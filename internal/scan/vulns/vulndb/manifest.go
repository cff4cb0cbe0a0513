package vulndb

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// formatVersion is the version of the store layout and of Manifest.
const formatVersion = 1

// manifestName is the manifest's file name inside a generation.
const manifestName = "manifest.json"

// Manifest describes one generation of the database: what `secpipe db
// status` shows. It is a value: changing it changes nothing on disk.
type Manifest struct {
	// FormatVersion is the version of the store layout.
	FormatVersion int `json:"format_version"`
	// Generation names the generation directory.
	Generation string `json:"generation"`
	// CreatedAt is when the generation was made.
	CreatedAt time.Time `json:"created_at"`
	// Sources are the sources the generation holds, sorted by name.
	Sources []SourceInfo `json:"sources"`
	// Total counts distinct advisory IDs across sources.
	Total int `json:"total"`
	// Ecosystems counts distinct advisory IDs per ecosystem as advisories
	// write it ("Go", "Debian:12"); an advisory affecting several counts
	// in each.
	Ecosystems map[string]int `json:"ecosystems"`
}

// SourceKind says what a source is.
type SourceKind string

// The kinds of source.
const (
	// KindFile is one OSV JSON or YAML file.
	KindFile SourceKind = "file"
	// KindDir is a folder of OSV files, walked recursively.
	KindDir SourceKind = "dir"
	// KindZip is a local all.zip given to Import.
	KindZip SourceKind = "zip"
	// KindURL is an all.zip fetched by Update (http, https or file URL).
	KindURL SourceKind = "url"
)

// SourceInfo describes one source of the database.
type SourceInfo struct {
	// Name is the cleaned absolute path or the URL of the source.
	Name string `json:"name"`
	// Kind says what the source is.
	Kind SourceKind `json:"kind"`
	// File is the compiled file in the generation directory.
	File string `json:"file"`
	// ETag and LastModified are the validators of the last download (URL
	// sources); Update sends them back in a conditional request.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// SHA256 is the hex SHA-256 of what was imported: the file or
	// archive, or for a folder a digest over its files' paths and digests.
	SHA256 string `json:"sha256"`
	// Size is the size in bytes of the file or archive imported (the sum
	// of the files' sizes for a folder).
	Size int64 `json:"size"`
	// ImportedAt is when the source's records were last compiled.
	ImportedAt time.Time `json:"imported_at"`
	// CheckedAt is when the source was last read or found unchanged.
	CheckedAt time.Time `json:"checked_at"`
	// Records counts the advisories stored (distinct IDs, not withdrawn).
	Records int `json:"records"`
	// Skipped counts records that failed to parse.
	Skipped int `json:"skipped"`
	// Withdrawn counts withdrawn advisories kept out.
	Withdrawn int `json:"withdrawn"`
	// Duplicates counts records dropped for a later record of the same ID.
	Duplicates int `json:"duplicates"`
	// Warnings counts warnings: skipped records and dropped parts.
	Warnings int `json:"warnings"`
	// Ecosystems counts the stored advisories per ecosystem.
	Ecosystems map[string]int `json:"ecosystems"`
}

// Age is how old the database's knowledge is at now: now minus the oldest
// last successful check of a source (a source checked an hour ago and
// another a week ago make a week). With no source it is the age of the
// generation.
func (m Manifest) Age(now time.Time) time.Duration {
	if len(m.Sources) == 0 {
		return now.Sub(m.CreatedAt)
	}
	oldest := m.Sources[0].CheckedAt
	for _, s := range m.Sources[1:] {
		if s.CheckedAt.Before(oldest) {
			oldest = s.CheckedAt
		}
	}
	return now.Sub(oldest)
}

// Covers reports whether the database holds advisories a package of
// ecosystem can match: advisories of that ecosystem as written
// ("Debian:9"), or of its bare family ("Debian"), which cover every
// release.
func (m Manifest) Covers(ecosystem string) bool {
	family, _, _ := strings.Cut(ecosystem, ":")
	return m.Ecosystems[ecosystem] > 0 || m.Ecosystems[family] > 0
}

// Source returns the source named name.
func (m Manifest) Source(name string) (SourceInfo, bool) {
	i := slices.IndexFunc(m.Sources, func(s SourceInfo) bool { return s.Name == name })
	if i < 0 {
		return SourceInfo{}, false
	}
	return m.Sources[i], true
}

// clone returns a deep copy, so that callers may not change a DB's manifest.
func (m Manifest) clone() Manifest {
	m.Ecosystems = maps.Clone(m.Ecosystems)
	m.Sources = slices.Clone(m.Sources)
	for i := range m.Sources {
		m.Sources[i].Ecosystems = maps.Clone(m.Sources[i].Ecosystems)
	}
	return m
}

// readManifest reads the manifest of generation directory gen.
func readManifest(gen string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(gen, manifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read %s: %w: %w", manifestName, pipeline.ErrInvalid, err)
	}
	if m.FormatVersion != formatVersion {
		return m, fmt.Errorf("%s: database format %d, want %d: run `secpipe db update` or `secpipe db import` into a new directory: %w",
			gen, m.FormatVersion, formatVersion, pipeline.ErrInvalid)
	}
	for _, s := range m.Sources {
		if !validFileName(s.File) {
			return m, fmt.Errorf("%s: source %s: bad file name %q: %w", gen, s.Name, s.File, pipeline.ErrInvalid)
		}
	}
	return m, nil
}

// writeManifest writes m into generation directory gen by rename, synced.
func writeManifest(gen string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(gen, manifestName), append(b, '\n'))
}
