package sbom

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Properties secpipe writes on CycloneDX components.
const (
	propEcosystem     = "secpipe:ecosystem"
	propLocation      = "secpipe:location"
	propSourceName    = "secpipe:source-name"
	propSourceVersion = "secpipe:source-version"
	propCodename      = "secpipe:os:codename"
)

// targetRef is the bom-ref (and SPDX element) of the scanned target.
const targetRef = "target"

// WriteCycloneDX writes inv as a CycloneDX 1.6 JSON document:
// metadata.component is the target, the tool is secpipe at
// meta.ToolVersion, the OS is an operating-system component and every
// package a library component with its purl, licenses and properties
// (secpipe:location, secpipe:source-name, secpipe:source-version,
// secpipe:ecosystem). The serial number is derived from the content, so
// the same inventory and meta give the same bytes. It fails only when w
// does.
func WriteCycloneDX(w io.Writer, inv *Inventory, meta Meta) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + contentID(inv, meta)
	bom.Metadata = cdxMetadata(inv, meta)
	var comps []cdx.Component
	var refs []string
	if inv.OS != nil {
		c := cdxOS(inv.OS)
		comps, refs = append(comps, c), append(refs, c.BOMRef)
	}
	seen := map[string]int{}
	for _, p := range inv.Packages {
		c := cdxPackage(p, seen)
		comps, refs = append(comps, c), append(refs, c.BOMRef)
	}
	if len(comps) > 0 {
		bom.Components = &comps
		bom.Dependencies = &[]cdx.Dependency{{Ref: targetRef, Dependencies: &refs}}
	}
	return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false).EncodeVersion(bom, cdx.SpecVersion1_6)
}

func cdxMetadata(inv *Inventory, meta Meta) *cdx.Metadata {
	typ := cdx.ComponentTypeApplication
	if inv.OS != nil {
		typ = cdx.ComponentTypeContainer
	}
	md := &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "secpipe", Version: meta.ToolVersion,
		}}},
		Component: &cdx.Component{BOMRef: targetRef, Type: typ, Name: targetName(meta)},
	}
	if !meta.Now.IsZero() {
		md.Timestamp = timestamp(meta)
	}
	return md
}

func cdxOS(o *OS) cdx.Component {
	c := cdx.Component{
		BOMRef: "os:" + o.ID + "@" + o.VersionID, Type: cdx.ComponentTypeOS,
		Name: o.ID, Version: o.VersionID, Description: o.Name,
	}
	var props []cdx.Property
	if o.Codename != "" {
		props = append(props, cdx.Property{Name: propCodename, Value: o.Codename})
	}
	if o.Ecosystem != "" {
		props = append(props, cdx.Property{Name: propEcosystem, Value: o.Ecosystem})
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

// cdxPackage returns the component of p; seen counts the bom-refs used.
func cdxPackage(p Package, seen map[string]int) cdx.Component {
	purl := p.PURL
	if purl == "" {
		purl = makePURL(p, distro{})
	}
	ref := purl
	if ref == "" {
		ref = "pkg:" + p.Ecosystem + "/" + p.Name + "@" + p.Version
	}
	if n := seen[ref]; n > 0 {
		seen[ref]++
		ref = fmt.Sprintf("%s#%d", ref, n)
	} else {
		seen[ref] = 1
	}
	c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version, PackageURL: purl}
	if len(p.Licenses) > 0 {
		ls := make(cdx.Licenses, len(p.Licenses))
		for i, l := range p.Licenses {
			ls[i] = cdx.LicenseChoice{License: &cdx.License{Name: l}}
		}
		c.Licenses = &ls
	}
	var props []cdx.Property
	add := func(name, value string) {
		if value != "" {
			props = append(props, cdx.Property{Name: name, Value: value})
		}
	}
	add(propEcosystem, p.Ecosystem)
	add(propSourceName, p.SourceName)
	add(propSourceVersion, p.SourceVersion)
	for _, loc := range p.Locations {
		add(propLocation, loc)
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

// readCycloneDX reads a CycloneDX document (JSON or XML) of any 1.x
// version.
func readCycloneDX(name string, data []byte, format cdx.BOMFileFormat) (*Inventory, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&bom); err != nil {
		return nil, fmt.Errorf("%s: cyclonedx: %w", name, err)
	}
	r := &docReader{name: name, inv: &Inventory{}}
	if bom.Components != nil {
		if err := r.components(*bom.Components, "components"); err != nil {
			return nil, err
		}
	}
	return r.finish(), nil
}

// components reads a list of components and the components nested in
// them; field names the list in errors.
func (r *docReader) components(comps []cdx.Component, field string) error {
	for i, c := range comps {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := r.component(c, f); err != nil {
			return err
		}
		if c.Components != nil {
			if err := r.components(*c.Components, f+".components"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *docReader) component(c cdx.Component, field string) error {
	props := map[string][]string{}
	if c.Properties != nil {
		for _, p := range *c.Properties {
			name := p.Name
			if strings.HasPrefix(name, "syft:location:") && strings.HasSuffix(name, ":path") {
				name = propLocation
			}
			props[name] = append(props[name], p.Value)
		}
	}
	if c.Type == cdx.ComponentTypeOS && r.inv.OS == nil {
		r.os(c.Name, c.Version, c.Description, first(props[propCodename]))
		return nil
	}
	if c.PackageURL == "" {
		r.noPURL++
		return nil
	}
	p, err := r.purl(c.PackageURL, c.Name, c.Version, field+".purl")
	if err != nil {
		return err
	}
	if eco := first(props[propEcosystem]); eco != "" {
		p.Ecosystem = eco
	}
	if src := first(props[propSourceName]); src != "" {
		p.SourceName, p.SourceVersion = src, first(props[propSourceVersion])
	}
	p.Locations = props[propLocation]
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.License != nil:
				p.Licenses = append(p.Licenses, cmp.Or(l.License.ID, l.License.Name))
			case l.Expression != "":
				p.Licenses = append(p.Licenses, l.Expression)
			}
		}
	}
	r.inv.Packages = append(r.inv.Packages, p)
	return nil
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}
