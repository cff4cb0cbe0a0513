package vex

import (
	"errors"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
)

// Product is what a finding is about, as Lookup matches it against the
// products of statements: the package and the image (or other artifact)
// that holds it.
type Product struct {
	// PURL is the package's package URL, such as
	// "pkg:deb/debian/linux@4.9.110-3%2Bdeb9u4?arch=amd64&distro=debian-9".
	// Empty or malformed, it matches no package URL.
	PURL string
	// Name and Version match products whose @id is not a package URL: such
	// an @id matches when it equals Name or "Name@Version".
	Name    string
	Version string
	// Target identifies the image or artifact scanned: a package URL (such
	// as "pkg:oci/golden-base@sha256%3A..."), another IRI, or a digest
	// "sha256:HEX" that matches the product's hashes. Empty, statements
	// whose products have subcomponents never match.
	Target string
}

// Set is the documents given for one scan, in the order given.
type Set []*Document

// LoadSet loads the documents at paths, in order (see Load). It returns
// the errors of every file that fails, joined.
func LoadSet(paths []string) (Set, error) {
	var s Set
	var errs []error
	for _, path := range paths {
		d, err := Load(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s = append(s, d)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Lookup finds the statement that applies to a finding: vulnIDs are the
// finding's id and aliases, p what it is about. A statement applies when
// its vulnerability's name, @id or an alias equals one of vulnIDs, ignoring
// case, and one of its products matches p:
//
//   - a product without subcomponents matches when its @id or package URL
//     names the package or the target, so a statement about the image
//     covers every package in it;
//   - a product with subcomponents matches when it names the target and a
//     subcomponent names the package.
//
// A package URL names a package when type, namespace and name are equal
// and the statement's version, subpath and qualifiers, where given, are
// equal to the package's (qualifiers as a subset): "pkg:deb/debian/linux"
// names "pkg:deb/debian/linux@4.9.110-3%2Bdeb9u4?arch=amd64". A Debian
// binary package whose URL carries source=NAME (and sourceversion=V) is
// also named by URLs of its source package NAME (at version V).
//
// When several statements apply, the latest wins: a statement's time is
// its last_updated or timestamp, else the document's; on equal times the
// later statement in the document wins. Lookup reports false when none
// applies. It is safe for concurrent use.
func (d *Document) Lookup(vulnIDs []string, p Product) (Statement, bool) {
	return Set{d}.Lookup(vulnIDs, p)
}

// Lookup is Document.Lookup over all documents of the set: the latest
// applicable statement wins, and on equal times the later document.
func (s Set) Lookup(vulnIDs []string, p Product) (Statement, bool) {
	q := newQuery(p)
	var best *Statement
	var bestTime time.Time
	for _, d := range s {
		if d == nil {
			continue
		}
		docTime := later(d.Timestamp, d.LastUpdated)
		for i := range d.Statements {
			st := &d.Statements[i]
			if !st.Vulnerability.matches(vulnIDs) || !q.applies(st) {
				continue
			}
			t := later(st.Timestamp, st.LastUpdated)
			if t.IsZero() {
				t = docTime
			}
			if best == nil || !t.Before(bestTime) {
				best, bestTime = st, t
			}
		}
	}
	if best == nil {
		return Statement{}, false
	}
	return *best, true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// query is a Product with its package URLs parsed once per lookup.
type query struct {
	p Product
	// pkgs are the package's URL and, for a Debian binary package, its
	// source package's URL.
	pkgs   []packageurl.PackageURL
	target *packageurl.PackageURL
}

func newQuery(p Product) *query {
	q := &query{p: p}
	if u, ok := parsePURL(p.PURL); ok {
		q.pkgs = append(q.pkgs, u)
		if src, ok := debianSource(u); ok {
			q.pkgs = append(q.pkgs, src)
		}
	}
	if u, ok := parsePURL(p.Target); ok {
		q.target = &u
	}
	return q
}

func parsePURL(s string) (packageurl.PackageURL, bool) {
	if !isPURL(s) {
		return packageurl.PackageURL{}, false
	}
	u, err := packageurl.FromString(s)
	return u, err == nil
}

// debianSource derives the URL of the source package of a Debian binary
// package from its source and sourceversion qualifiers.
func debianSource(u packageurl.PackageURL) (packageurl.PackageURL, bool) {
	if u.Type != packageurl.TypeDebian {
		return u, false
	}
	m := u.Qualifiers.Map()
	src := m["source"]
	if src == "" || src == u.Name {
		return u, false
	}
	version := m["sourceversion"]
	if version == "" {
		version = u.Version
	}
	delete(m, "source")
	delete(m, "sourceversion")
	return packageurl.PackageURL{
		Type: u.Type, Namespace: u.Namespace, Name: src, Version: version,
		Qualifiers: packageurl.QualifiersFromMap(m), Subpath: u.Subpath,
	}, true
}

// applies reports whether one of the statement's products matches.
func (q *query) applies(st *Statement) bool {
	for i := range st.Products {
		c := &st.Products[i]
		if len(c.Subcomponents) == 0 {
			if q.namesPackage(c.ID, c.Identifiers) || q.namesTarget(c.ID, c.Identifiers, c.Hashes) {
				return true
			}
			continue
		}
		if !q.namesTarget(c.ID, c.Identifiers, c.Hashes) {
			continue
		}
		for _, sc := range c.Subcomponents {
			if q.namesPackage(sc.ID, sc.Identifiers) {
				return true
			}
		}
	}
	return false
}

func (q *query) namesPackage(id string, ids Identifiers) bool {
	if q.coversPackage(ids.PURL) || q.coversPackage(id) {
		return true
	}
	if id == "" || isPURL(id) || q.p.Name == "" {
		return false
	}
	return id == q.p.Name || (q.p.Version != "" && id == q.p.Name+"@"+q.p.Version)
}

func (q *query) coversPackage(s string) bool {
	if len(q.pkgs) == 0 {
		return false
	}
	u, ok := parsePURL(s)
	if !ok {
		return false
	}
	for _, pkg := range q.pkgs {
		if covers(u, pkg) {
			return true
		}
	}
	return false
}

func (q *query) namesTarget(id string, ids Identifiers, hashes map[string]string) bool {
	t := q.p.Target
	if t == "" {
		return false
	}
	if id == t || ids.PURL == t || ids.CPE23 == t || ids.CPE22 == t {
		return true
	}
	if q.target != nil {
		for _, s := range []string{ids.PURL, id} {
			if u, ok := parsePURL(s); ok && covers(u, *q.target) {
				return true
			}
		}
	}
	return hashMatches(hashes, t)
}

// covers reports whether the statement's package URL s names the package
// URL u: equal type, namespace and name, and s's version, subpath and
// qualifiers, where s gives them, equal to u's.
func covers(s, u packageurl.PackageURL) bool {
	if s.Type != u.Type || s.Namespace != u.Namespace || s.Name != u.Name {
		return false
	}
	if (s.Version != "" && s.Version != u.Version) || (s.Subpath != "" && s.Subpath != u.Subpath) {
		return false
	}
	if len(s.Qualifiers) == 0 {
		return true
	}
	have := u.Qualifiers.Map()
	for _, kv := range s.Qualifiers {
		if v, ok := have[kv.Key]; !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// hashMatches reports whether target, a digest "ALGORITHM:HEX" or a package
// URL whose version is one, is among hashes (keyed as OpenVEX spells the
// algorithms: "sha-256", "sha1", ...).
func hashMatches(hashes map[string]string, target string) bool {
	if len(hashes) == 0 {
		return false
	}
	if u, ok := parsePURL(target); ok {
		target = u.Version
	}
	alg, hex, ok := strings.Cut(target, ":")
	if !ok || hex == "" {
		return false
	}
	alg = strings.ToLower(alg)
	for _, key := range []string{alg, strings.Replace(alg, "sha", "sha-", 1)} {
		if h, ok := hashes[key]; ok && strings.EqualFold(h, hex) {
			return true
		}
	}
	return false
}
