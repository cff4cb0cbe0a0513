package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/vulndb"
)

// SBOMFile is the CycloneDX SBOM of the scanned tree a scan writes beside
// its report when the vulns scanner ran: the inventory it judged.
const SBOMFile = "sbom.cdx.json"

// scratchDir makes a new directory in the attempt's work directory (the
// system's temporary directory when the request has none).
func scratchDir(req *pipeline.ActionRequest, pattern string) (string, error) {
	parent := req.WorkDir
	if parent == "" {
		parent = os.TempDir()
	} else if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, pattern)
}

// unpackImage flattens the image of an image target into a scratch
// directory and returns it with the image's manifest digest; remove the
// directory when done. The unpack refuses entries that would land
// outside it.
func unpackImage(ctx context.Context, req *pipeline.ActionRequest, t target) (dir, digest string, err error) {
	dir, err = scratchDir(req, "image-")
	if err != nil {
		return "", "", fmt.Errorf("scan %s: %w", t.Name, err)
	}
	root := filepath.Join(dir, "rootfs")
	info, err := base.Prepare(ctx, t.Image, root, base.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("scan %s: %w", t.Name, err)
	}
	return dir, info.Digest, nil
}

// advisoryDB compiles the OSV records config.advisories names (a folder
// or file inside an input artifact) into a new database in a scratch
// directory, for this scan only. It returns the directory, to remove when
// done, and a warning per record skipped or trimmed.
func advisoryDB(ctx context.Context, req *pipeline.ActionRequest, s settings) (string, []string, error) {
	t, err := resolvePath(req, s.Advisories, "config.advisories")
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(t.Dir); errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("scan: config.advisories %s: %w", t.Name, pipeline.ErrNotFound)
	}
	dir, err := scratchDir(req, "advisories-")
	if err != nil {
		return "", nil, fmt.Errorf("scan: config.advisories: %w", err)
	}
	var warnings []string
	_, err = vulndb.Import(ctx, dir, []string{t.Dir}, vulndb.ImportOptions{Warn: func(err error) {
		warnings = append(warnings, fmt.Sprintf("config.advisories %s: %v", t.Name, err))
	}})
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("scan: config.advisories %s: %w", t.Name, err)
	}
	return dir, warnings, nil
}
