package sbom

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// MaxKeptSize is the largest file whose contents Keep keeps: package
// databases, lockfiles and Go binaries are smaller.
const MaxKeptSize = 64 << 20

// maxOSReleaseSize bounds the os-release files Keep keeps.
const maxOSReleaseSize = 64 << 10

// Config says how Collect takes an inventory.
type Config struct {
	// Extractors read the files; the command line builds the list.
	Extractors []Extractor
	// Logger receives debug records (one per file extracted); nil
	// discards them.
	Logger *slog.Logger
}

// Collect takes the inventory of root: it walks root's entries once,
// gives each regular file to every extractor that wants it, and merges
// and sorts what they return (see Inventory). It reads the OS from
// os-release; OS packages found without one get their distribution's
// bare ecosystem ("Debian") and a warning.
//
// An extractor that fails on a file, a file whose contents a tarball
// load did not keep and a directory the walk could not read become
// warnings naming the file; Collect itself fails only when ctx is done,
// an extractor could not be built, or the os-release of a root of kind
// rootfs.RootFS cannot be read (a source tree's is only a warning).
// Collect is safe for concurrent use when its extractors and root are.
func Collect(ctx context.Context, root rootfs.Root, kind rootfs.Kind, cfg Config) (*Inventory, error) {
	for _, x := range cfg.Extractors {
		if b, ok := x.(interface{ broken() error }); ok && b.broken() != nil {
			return nil, fmt.Errorf("extractor %s: %w", x.Name(), b.broken())
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inv := &Inventory{}
	o, err := readOS(root)
	switch {
	case err != nil && kind == rootfs.RootFS:
		return nil, fmt.Errorf("os-release: %w", err)
	case err != nil:
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("os-release: %v", err))
	}
	inv.OS = o
	if p, ok := root.(interface{ Problems() []error }); ok {
		for _, err := range p.Problems() {
			inv.Warnings = append(inv.Warnings, err.Error())
		}
	}
	for _, e := range root.Entries() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.Mode.IsRegular() {
			extractFile(ctx, root, e, cfg.Extractors, inv, log)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv.Packages = normalize(inv.Packages)
	inv.Warnings = append(inv.Warnings, osWarnings(inv)...)
	return inv, nil
}

// extractFile runs the extractors that want e and adds what they find
// (packages, or a warning) to inv.
func extractFile(ctx context.Context, root rootfs.Root, e rootfs.Entry, xs []Extractor, inv *Inventory, log *slog.Logger) {
	for _, x := range xs {
		if !x.Wants(e) {
			continue
		}
		pkgs, err := x.Extract(ctx, root, e)
		if err != nil {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: %s: %v", e.Path, x.Name(), err))
		}
		log.DebugContext(ctx, "extracted", "path", e.Path, "extractor", x.Name(), "packages", len(pkgs))
		for _, p := range pkgs {
			if p.PURL == "" {
				p.PURL = makePURL(p, distro{})
			}
			inv.Packages = append(inv.Packages, p)
		}
	}
}

// osWarnings says when OS packages were found without os-release.
func osWarnings(inv *Inventory) []string {
	if inv.OS != nil {
		return nil
	}
	for _, p := range inv.Packages {
		if purlType(p.PURL) == typeDeb || purlType(p.PURL) == typeAPK || purlType(p.PURL) == typeRPM {
			return []string{fmt.Sprintf("no etc/os-release or usr/lib/os-release: %s and other OS packages "+
				"have their distribution's ecosystem without a release (%q), or none", p.Name, p.Ecosystem)}
		}
	}
	return nil
}

// purlType returns the type of a package URL ("deb").
func purlType(purl string) string {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return ""
	}
	typ, _, _ := strings.Cut(rest, "/")
	return typ
}

// Keep returns the rootfs.Keep function of a tarball or image load that
// Collect will read with extractors: it keeps os-release and every file
// an extractor wants or reads beside it, up to MaxKeptSize each.
func Keep(extractors []Extractor) rootfs.Keep {
	return func(e rootfs.Entry) bool {
		if e.Size > MaxKeptSize {
			return false
		}
		for _, p := range osReleasePaths {
			if e.Path == p {
				return e.Size <= maxOSReleaseSize
			}
		}
		for _, x := range extractors {
			if x.Wants(e) {
				return true
			}
			if a, ok := x.(interface{ alsoKeeps(rootfs.Entry) bool }); ok && a.alsoKeeps(e) {
				return true
			}
		}
		return false
	}
}

// CollectPath opens target (a directory, rootfs tarball or OCI layout; see
// rootfs.Open, kind 0 detects it), keeping in memory only the files cfg's
// extractors want, and takes its inventory as Collect does. Parts of a
// directory the walk could not read become warnings.
func CollectPath(ctx context.Context, target string, kind rootfs.Kind, cfg Config) (*Inventory, error) {
	root, k, err := rootfs.Open(target, rootfs.Options{Kind: kind, Keep: Keep(cfg.Extractors)})
	if err != nil {
		return nil, err
	}
	if c, ok := root.(io.Closer); ok {
		defer c.Close()
	}
	inv, err := Collect(ctx, root, k, cfg)
	if err != nil {
		return nil, err
	}
	if d, ok := root.(*rootfs.DirRoot); ok {
		for _, p := range d.Problems() {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("part of %s is unreadable; packages may be missing: %v", target, p))
		}
	}
	return inv, nil
}
