package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/tagvalue"
)

// SPDX vocabulary secpipe writes.
const (
	noAssertion      = "NOASSERTION"
	purposeLibrary   = "LIBRARY"
	purposeOS        = "OPERATING-SYSTEM"
	purposeContainer = "CONTAINER"
	purposeApp       = "APPLICATION"
	// foundIn starts the source info that lists a package's locations,
	// one per line.
	foundIn = "found in:\n"
	// codenamePrefix starts the OS package comment holding its codename.
	codenamePrefix = "VERSION_CODENAME="
	// spdxNamespaceBase prefixes document namespaces.
	spdxNamespaceBase = "https://secpipe.dev/spdxdocs/"
)

// licenseToken is one license identifier, as SPDX expressions spell them.
var licenseToken = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)

// WriteSPDX writes inv as an SPDX 2.3 JSON document: the namespace is
// derived from the content, the creator is "Tool: secpipe-VERSION", the
// document DESCRIBES the target package, which CONTAINS the OS and every
// package; packages carry their purl as a PACKAGE-MANAGER external
// reference and their locations in their source info. Licenses that are
// all single identifiers ("MIT") become the declared license, others are
// kept in the license comments. Deterministic as WriteCycloneDX; it fails
// only when w does.
func WriteSPDX(w io.Writer, inv *Inventory, meta Meta) error {
	id := contentID(inv, meta)
	purpose := purposeApp
	if inv.OS != nil {
		purpose = purposeContainer
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      targetName(meta),
		DocumentNamespace: spdxNamespaceBase + url.PathEscape(targetName(meta)) + "-" + id,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "secpipe-" + meta.ToolVersion}},
			Created:  timestamp(meta),
		},
	}
	target := &spdx.Package{
		PackageName: targetName(meta), PackageSPDXIdentifier: targetRef, PrimaryPackagePurpose: purpose,
		PackageDownloadLocation: noAssertion, PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared: noAssertion, PackageCopyrightText: noAssertion,
	}
	doc.Packages = append(doc.Packages, target)
	doc.Relationships = append(doc.Relationships, relationship("DOCUMENT", targetRef, common.TypeRelationshipDescribe))
	if inv.OS != nil {
		doc.Packages = append(doc.Packages, spdxOS(inv.OS))
	}
	for _, p := range inv.Packages {
		doc.Packages = append(doc.Packages, spdxPackage(p))
	}
	for _, p := range doc.Packages[1:] {
		doc.Relationships = append(doc.Relationships,
			relationship(targetRef, p.PackageSPDXIdentifier, common.TypeRelationshipContains))
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

func relationship(a, b common.ElementID, typ string) *spdx.Relationship {
	return &spdx.Relationship{RefA: common.MakeDocElementID("", string(a)),
		RefB: common.MakeDocElementID("", string(b)), Relationship: typ}
}

func spdxOS(o *OS) *spdx.Package {
	p := &spdx.Package{
		PackageName: o.ID, PackageSPDXIdentifier: "OperatingSystem", PackageVersion: o.VersionID,
		PackageDescription: o.Name, PrimaryPackagePurpose: purposeOS,
		PackageDownloadLocation: noAssertion, PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared: noAssertion, PackageCopyrightText: noAssertion,
	}
	if o.Codename != "" {
		p.PackageComment = codenamePrefix + o.Codename
	}
	return p
}

func spdxPackage(p Package) *spdx.Package {
	key := sha256.Sum256([]byte(p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version))
	sp := &spdx.Package{
		PackageName: p.Name, PackageVersion: p.Version,
		PackageSPDXIdentifier:   common.ElementID("Package-" + hex.EncodeToString(key[:8])),
		PrimaryPackagePurpose:   purposeLibrary,
		PackageDownloadLocation: noAssertion, PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared: noAssertion, PackageCopyrightText: noAssertion,
	}
	if len(p.Locations) > 0 {
		sp.PackageSourceInfo = foundIn + strings.Join(p.Locations, "\n")
	}
	if declared, ok := licenseExpression(p.Licenses); ok {
		sp.PackageLicenseDeclared = declared
	} else if len(p.Licenses) > 0 {
		sp.PackageLicenseComments = "declared: " + strings.Join(p.Licenses, "; ")
	}
	purl := p.PURL
	if purl == "" {
		purl = makePURL(p, distro{})
	}
	if purl != "" {
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: purl,
		}}
	}
	return sp
}

// licenseExpression joins licenses that are all single identifiers
// with AND; ok is false when there are none or one is not.
func licenseExpression(ls []string) (string, bool) {
	if len(ls) == 0 {
		return "", false
	}
	for _, l := range ls {
		if !licenseToken.MatchString(l) || l == "AND" || l == "OR" || l == "WITH" {
			return "", false
		}
	}
	return strings.Join(ls, " AND "), true
}

// readSPDX reads an SPDX 2.x document, JSON or tag-value.
func readSPDX(name string, data []byte, tagValue bool) (*Inventory, error) {
	var doc *spdx.Document
	var err error
	if tagValue {
		doc, err = tagvalue.Read(bytes.NewReader(data))
	} else {
		doc, err = spdxjson.Read(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: spdx: %w", name, err)
	}
	described := map[common.ElementID]bool{}
	for _, rel := range doc.Relationships {
		if rel != nil && rel.Relationship == common.TypeRelationshipDescribe && rel.RefA.ElementRefID == "DOCUMENT" {
			described[rel.RefB.ElementRefID] = true
		}
	}
	r := &docReader{name: name, inv: &Inventory{}}
	for i, p := range doc.Packages {
		if p == nil || described[p.PackageSPDXIdentifier] && spdxPURL(p) == "" {
			continue
		}
		if err := r.spdxPackage(p, fmt.Sprintf("packages[%d]", i)); err != nil {
			return nil, err
		}
	}
	return r.finish(), nil
}

func (r *docReader) spdxPackage(sp *spdx.Package, field string) error {
	if sp.PrimaryPackagePurpose == purposeOS && r.inv.OS == nil {
		r.os(sp.PackageName, sp.PackageVersion, sp.PackageDescription,
			strings.TrimPrefix(sp.PackageComment, codenamePrefix))
		return nil
	}
	purl := spdxPURL(sp)
	if purl == "" {
		r.noPURL++
		return nil
	}
	p, err := r.purl(purl, sp.PackageName, sp.PackageVersion, field+".externalRefs.purl")
	if err != nil {
		return err
	}
	if locs, ok := strings.CutPrefix(sp.PackageSourceInfo, foundIn); ok {
		p.Locations = strings.Split(locs, "\n")
	}
	switch l := strings.TrimSpace(sp.PackageLicenseDeclared); {
	case l == "" || l == noAssertion || l == "NONE":
	case licenseExpressionParts(l) != nil:
		p.Licenses = licenseExpressionParts(l)
	default:
		p.Licenses = []string{l}
	}
	r.inv.Packages = append(r.inv.Packages, p)
	return nil
}

// licenseExpressionParts splits "A AND B" into its identifiers; nil when
// the expression is anything else.
func licenseExpressionParts(expr string) []string {
	parts := strings.Split(expr, " AND ")
	for _, p := range parts {
		if !licenseToken.MatchString(p) {
			return nil
		}
	}
	return parts
}

// spdxPURL returns the first purl external reference of a package.
func spdxPURL(p *spdx.Package) string {
	for _, ref := range p.PackageExternalReferences {
		if ref != nil && ref.RefType == common.TypePackageManagerPURL &&
			(ref.Category == common.CategoryPackageManager || ref.Category == "PACKAGE_MANAGER") {
			return ref.Locator
		}
	}
	return ""
}
