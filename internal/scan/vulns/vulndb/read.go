package vulndb

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// isRecordName reports whether a file name has an OSV record's extension.
func isRecordName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// readZip reads every member of the archive in r (size bytes), reporting
// records as "zipName:member". Every member is read to its end, so that
// the archive's CRCs are all checked; members without a record's
// extension are not parsed.
func readZip(ctx context.Context, zipName string, r io.ReaderAt, size int64, c *compiler) error {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("read archive: %w", err)
	}
	units := make([]unit, 0, len(zr.File))
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := zipName + ":" + f.Name
		rec := isRecordName(f.Name)
		if rec && f.UncompressedSize64 > maxRecordSize {
			return fmt.Errorf("read %s: %d bytes, more than a record may hold", name, f.UncompressedSize64)
		}
		units = append(units, unit{name: name, parse: rec, open: f.Open})
	}
	return runUnits(ctx, units, c.add)
}

// readZipFile reads the all.zip at path as the source name.
func readZipFile(ctx context.Context, name, path string, c *compiler) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	c.info.SHA256, c.info.Size = hex.EncodeToString(h.Sum(nil)), n
	return readZip(ctx, name, f, n, c)
}

// readRecordFile reads one OSV JSON or YAML file.
func readRecordFile(ctx context.Context, path string, c *compiler) error {
	u := unit{name: path, parse: true, digest: true, open: func() (io.ReadCloser, error) { return os.Open(path) }}
	return runUnits(ctx, []unit{u}, func(p parsed) error {
		c.info.SHA256, c.info.Size = hex.EncodeToString(p.digest[:]), p.size
		return c.add(p)
	})
}

// readDir reads every record file under root, skipping hidden files and
// folders. Its digest covers each file's path (relative to root) and
// SHA-256, in walk order.
func readDir(ctx context.Context, root string, c *compiler) error {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	var units []unit
	err = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := path != real && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return fs.SkipDir
		case d.IsDir() || hidden || !isRecordName(d.Name()):
			return nil
		}
		rel, err := filepath.Rel(real, path)
		if err != nil {
			return err
		}
		open := func() (io.ReadCloser, error) { return os.Open(path) }
		units = append(units, unit{name: filepath.Join(root, rel), parse: true, digest: true, open: open})
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	h := sha256.New()
	err = runUnits(ctx, units, func(p parsed) error {
		rel, _ := filepath.Rel(root, p.name)
		fmt.Fprintf(h, "%s\x00%x\n", filepath.ToSlash(rel), p.digest)
		c.info.Size += p.size
		return c.add(p)
	})
	c.info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return err
}
