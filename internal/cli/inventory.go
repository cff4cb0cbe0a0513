package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/secpipe/secpipe/internal/scan/sbom/extractors"

	scalibrlog "github.com/google/osv-scalibr/log"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

// maxSBOMSize bounds an SBOM document read as a target.
const maxSBOMSize = 256 << 20

// sniffSize is how much of a regular file is read to tell an SBOM from a
// tarball.
const sniffSize = 64 << 10

// parseKind reads an --as flag: auto (0), rootfs or source.
func parseKind(kind string) (rootfs.Kind, error) {
	switch kind {
	case "", "auto":
		return 0, nil
	case "rootfs":
		return rootfs.RootFS, nil
	case "source":
		return rootfs.Source, nil
	}
	return 0, usageError{fmt.Errorf("--as %q: want auto, rootfs or source", kind)}
}

// loadInventory takes the inventory of a target: an SBOM document is read,
// anything else (a directory, rootfs tarball or OCI layout) is opened with
// rootfs.Open and walked by the extractors.
func loadInventory(ctx context.Context, target string, kind rootfs.Kind, log *slog.Logger) (*sbom.Inventory, error) {
	if data, ok, err := readSBOM(target); err != nil {
		return nil, err
	} else if ok {
		return sbom.ReadDocument(target, data)
	}
	// osv-scalibr logs through one process-wide logger, to standard error
	// unless told otherwise; what it says, Collect reports as warnings.
	scalibrlog.SetLogger(sbom.ScalibrLogger(log))
	return sbom.CollectPath(ctx, target, kind, sbom.Config{Extractors: extractors.Default(), Logger: log})
}

// readSBOM returns the contents of target when it is a regular file
// holding an SBOM document (CycloneDX or SPDX), told by its contents.
func readSBOM(target string) ([]byte, bool, error) {
	if strings.HasPrefix(target, "oci:") {
		return nil, false, nil
	}
	f, err := os.Open(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("target %s: %w", target, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("target %s: %w", target, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false, nil
	}
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("target %s: %w", target, err)
	}
	if !looksLikeText(head[:n]) {
		return nil, false, nil
	}
	if fi.Size() > maxSBOMSize {
		return nil, false, fmt.Errorf("target %s: %d bytes is larger than the %d an SBOM may have", target, fi.Size(), maxSBOMSize)
	}
	data, err := os.ReadFile(target)
	if err != nil {
		return nil, false, fmt.Errorf("target %s: %w", target, err)
	}
	if !sbom.IsDocument(target, data) {
		return nil, false, nil
	}
	return data, true, nil
}

// looksLikeText reports whether b starts like a JSON, XML or tag-value
// document rather than a tarball or compressed stream.
func looksLikeText(b []byte) bool {
	t := strings.TrimLeft(string(b), " \t\r\n\ufeff")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "<") || strings.HasPrefix(t, "SPDXVersion") ||
		strings.HasPrefix(t, "#")
}
