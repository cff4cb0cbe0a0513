package sbom

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Meta describes the run that produced an inventory, for the documents
// written from it.
type Meta struct {
	// Target names what was scanned, as the user named it
	// ("oci:golden:v1", "."); it names the document's subject.
	Target string
	// ToolVersion is secpipe's version.
	ToolVersion string
	// Now is when the document was made; zero leaves the CycloneDX
	// timestamp out and makes the SPDX creation time the current time.
	// Fix it for reproducible documents.
	Now time.Time
}

// targetName is the document subject's name.
func targetName(meta Meta) string { return cmp.Or(meta.Target, "unknown") }

// timestamp is meta.Now in RFC 3339, UTC, whole seconds.
func timestamp(meta Meta) string {
	now := meta.Now
	if now.IsZero() {
		now = time.Now()
	}
	return now.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// contentID is a UUID-formatted SHA-256 of the inventory and meta: the
// same content gives the same serial number and namespace, different
// content a different one.
func contentID(inv *Inventory, meta Meta) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	// Encoding plain structs of strings cannot fail.
	_ = enc.Encode(meta)
	_ = enc.Encode(inv.OS)
	_ = enc.Encode(inv.Packages)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5: name-based, SHA-derived
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// format is a document format ReadDocument reads.
type format int

const (
	formatUnknown format = iota
	formatCycloneDXJSON
	formatCycloneDXXML
	formatSPDXJSON
	formatSPDXTagValue
)

// sniffSize is how much of a document detect looks at before decoding.
const sniffSize = 64 << 10

var (
	cdxJSONKey = regexp.MustCompile(`"bomFormat"\s*:\s*"CycloneDX"`)
	spdxKey    = regexp.MustCompile(`"spdxVersion"\s*:\s*"SPDX-`)
	cdxXMLNS   = regexp.MustCompile(`xmlns(:\w+)?\s*=\s*["']http://cyclonedx\.org/schema/bom/`)
	spdxTag    = regexp.MustCompile(`(?m)^SPDXVersion:\s*SPDX-`)
)

// detect tells the format of a document from its contents.
func detect(data []byte) format {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	head := data[:min(len(data), sniffSize)]
	switch {
	case len(head) == 0:
		return formatUnknown
	case head[0] == '{':
		return detectJSON(data, head)
	case head[0] == '<':
		if cdxXMLNS.Match(head) {
			return formatCycloneDXXML
		}
	case spdxTag.Match(head):
		return formatSPDXTagValue
	}
	return formatUnknown
}

// detectJSON tells a CycloneDX document from an SPDX one by their
// top-level keys, looked for in the head first.
func detectJSON(data, head []byte) format {
	switch {
	case cdxJSONKey.Match(head):
		return formatCycloneDXJSON
	case spdxKey.Match(head):
		return formatSPDXJSON
	case len(data) == len(head):
		return formatUnknown
	}
	var top struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if json.Unmarshal(data, &top) != nil {
		return formatUnknown
	}
	switch {
	case top.BOMFormat == "CycloneDX":
		return formatCycloneDXJSON
	case len(top.SPDXVersion) > 5 && top.SPDXVersion[:5] == "SPDX-":
		return formatSPDXJSON
	}
	return formatUnknown
}

// IsDocument reports whether data is an SBOM that ReadDocument reads: a
// CycloneDX JSON or XML document or an SPDX JSON or tag-value document,
// told by its contents whatever its name.
func IsDocument(name string, data []byte) bool { return detect(data) != formatUnknown }

// ReadDocument reads the SBOM data (named name in errors) as an
// inventory: CycloneDX JSON or XML (any 1.x version, nested components
// included) or SPDX 2.x JSON or tag-value. Each package comes from its
// purl: the purl type gives the OSV ecosystem (a distro qualifier the
// release: deb "debian-9" is "Debian:9"), an "upstream" qualifier (or
// scalibr's "source", "origin", "sourcerpm") the source package; the
// document's own name is kept when it is the purl's name with its case
// intact. Locations come from secpipe (and Syft) CycloneDX properties and
// secpipe SPDX source info. Components without a purl are left out with
// a warning. Errors wrap pipeline.ErrInvalid for data that is no SBOM
// and name the file and field for a malformed one.
func ReadDocument(name string, data []byte) (*Inventory, error) {
	switch detect(data) {
	case formatCycloneDXJSON:
		return readCycloneDX(name, data, cdx.BOMFileFormatJSON)
	case formatCycloneDXXML:
		return readCycloneDX(name, data, cdx.BOMFileFormatXML)
	case formatSPDXJSON:
		return readSPDX(name, data, false)
	case formatSPDXTagValue:
		return readSPDX(name, data, true)
	}
	return nil, fmt.Errorf("%s: %w: not a CycloneDX or SPDX document", name, pipeline.ErrInvalid)
}

// docReader gathers the inventory of one document.
type docReader struct {
	name   string
	inv    *Inventory
	noPURL int
}

// purl reads the purl of a package named docName at docVersion in the
// document; field names the purl in errors.
func (r *docReader) purl(purl, docName, docVersion, field string) (Package, error) {
	p, err := parsePURL(purl)
	if err != nil {
		return Package{}, fmt.Errorf("%s: %s: %w: %v", r.name, field, pipeline.ErrInvalid, err)
	}
	p.Name = preferDocName(p, docName)
	if p.Version == "" {
		p.Version = docVersion
	}
	return p, nil
}

// os records the document's operating system.
func (r *docReader) os(id, versionID, name, codename string) {
	r.inv.OS = &OS{ID: id, VersionID: versionID, Name: name, Codename: codename,
		Ecosystem: osEcosystem(packageType(id, ""), id, versionID)}
}

// finish sorts and merges the packages and adds the warnings.
func (r *docReader) finish() *Inventory {
	r.inv.Packages = normalize(r.inv.Packages)
	if r.noPURL > 0 {
		r.inv.Warnings = append(r.inv.Warnings,
			fmt.Sprintf("%s: %d components without a purl were left out", r.name, r.noPURL))
	}
	return r.inv
}
