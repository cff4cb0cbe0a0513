// Package pomxml reads the dependencies a Maven pom.xml declares, offline:
// properties, profiles active by default and parents found beside the pom
// (relativePath, "../pom.xml" by default) are applied, dependency
// management imports and remote parents are not fetched.
//
// scalibr's own java/pomxml extractor does the same but links its
// registry clients (gRPC, deps.dev): 13 MB of binary for no network use.
// Both parse with deps.dev/util/maven.
package pomxml

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"deps.dev/util/maven"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

// maxParents bounds the chain of local parents followed.
const maxParents = 16

// Extractor reads pom.xml and *.pom files. It holds no state and is safe
// for concurrent use.
type Extractor struct{}

var _ sbom.Extractor = Extractor{}

// New returns a pom.xml extractor.
func New() Extractor { return Extractor{} }

// Name names the extractor in warnings.
func (Extractor) Name() string { return "java/pomxml" }

// Wants reports whether e is a pom.xml or a .pom file.
func (Extractor) Wants(e rootfs.Entry) bool {
	return path.Base(e.Path) == "pom.xml" || path.Ext(e.Path) == ".pom"
}

// Extract returns the dependencies of the pom at e, as Maven packages
// named "groupId:artifactId" at the version the pom asks for (the lower
// bound of a range; empty when a property is left unresolved). A pom
// that is not XML is an error naming the file; a parent that cannot be
// read ends the parent chain.
func (Extractor) Extract(ctx context.Context, root rootfs.Root, e rootfs.Entry) ([]sbom.Package, error) {
	data, err := root.ReadFile(e.Path)
	if err != nil {
		return nil, err
	}
	proj, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Path, err)
	}
	mergeParents(ctx, root, e.Path, proj)
	// A profile that cannot be evaluated is skipped; the rest apply.
	_ = proj.MergeProfiles("", maven.ActivationOS{})
	declared := declaredNames(proj)
	if err := proj.Interpolate(); err != nil {
		return nil, fmt.Errorf("%s: interpolate: %w", e.Path, err)
	}
	proj.ProcessDependencies(func(_, _, _ maven.String) (maven.DependencyManagement, error) {
		return maven.DependencyManagement{}, errors.New("imports are not fetched")
	})
	var pkgs []sbom.Package
	add := func(name, version string) {
		pkgs = append(pkgs, sbom.Package{Name: name, Version: version, Ecosystem: "Maven", Locations: []string{e.Path}})
	}
	found := map[string]bool{}
	for _, d := range proj.Dependencies {
		name := string(d.GroupID) + ":" + string(d.ArtifactID)
		found[name] = true
		add(name, resolvedVersion(string(d.Version)))
	}
	// Interpolation drops the dependencies whose version names a
	// property no pom defines; they are still dependencies.
	for _, name := range declared {
		if !found[name] {
			found[name] = true
			add(name, "")
		}
	}
	return pkgs, nil
}

// declaredNames returns the group:artifact names of the dependencies proj
// declares literally, in order.
func declaredNames(proj *maven.Project) []string {
	var names []string
	for _, d := range proj.Dependencies {
		if d.GroupID != "" && d.ArtifactID != "" && !strings.Contains(string(d.GroupID+d.ArtifactID), "${") {
			names = append(names, string(d.GroupID)+":"+string(d.ArtifactID))
		}
	}
	return names
}

// mergeParents merges into proj the chain of parents found in root from
// the pom at p.
func mergeParents(ctx context.Context, root rootfs.Root, p string, proj *maven.Project) {
	seen := map[string]bool{p: true}
	parent := proj.Parent
	for range maxParents {
		if ctx.Err() != nil || parent.ArtifactID == "" {
			return
		}
		pp := parentPath(root, p, string(parent.RelativePath))
		if pp == "" || seen[pp] {
			return
		}
		seen[pp] = true
		data, err := root.ReadFile(pp)
		if err != nil {
			return
		}
		pproj, err := decode(data)
		if err != nil || pproj.ArtifactID != parent.ArtifactID {
			return
		}
		proj.MergeParent(*pproj)
		p, parent = pp, pproj.Parent
	}
}

// parentPath returns the path of the parent pom a pom at p names by
// relativePath, or "" when there is none in root.
func parentPath(root rootfs.Root, p, relativePath string) string {
	if relativePath == "" {
		relativePath = "../pom.xml"
	}
	pp := path.Join(path.Dir(p), relativePath)
	if strings.HasPrefix(pp, "../") || pp == ".." {
		return ""
	}
	if fi, err := fs.Stat(rootfs.FS(root), pp); err == nil && fi.IsDir() {
		pp = path.Join(pp, "pom.xml")
	}
	if _, err := fs.Stat(rootfs.FS(root), pp); err != nil {
		return ""
	}
	return pp
}

// decode parses a pom, in UTF-8 or ISO-8859-1, with HTML entities.
func decode(data []byte) (*maven.Project, error) {
	var proj maven.Project
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = charsetReader
	if err := dec.Decode(&proj); err != nil {
		return nil, fmt.Errorf("pom: %w", err)
	}
	return &proj, nil
}

// charsetReader reads the encodings poms are written in besides UTF-8.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "windows-1252", "cp1252":
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, 0, len(data)*2)
		for _, b := range data {
			buf = utf8.AppendRune(buf, rune(b))
		}
		return bytes.NewReader(buf), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// resolvedVersion returns the version a requirement asks for: the
// version itself, or the lower bound of a range ("[1.2,2.0)" is "1.2");
// "" when a property was left unresolved.
func resolvedVersion(v string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "${") {
		return ""
	}
	v = strings.TrimLeft(v, "[(")
	if i := strings.IndexAny(v, ",)]"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}
