package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// wireDocument is a document as written, before checks; fields whose shape
// changed between spec versions stay raw.
type wireDocument struct {
	Context     string            `json:"@context"`
	ID          string            `json:"@id"`
	Author      string            `json:"author"`
	Role        string            `json:"role"`
	Timestamp   string            `json:"timestamp"`
	LastUpdated string            `json:"last_updated"`
	Version     json.RawMessage   `json:"version"` // an integer; a string in v0.0.x
	Tooling     string            `json:"tooling"`
	Statements  []json.RawMessage `json:"statements"`
}

type wireStatement struct {
	ID                       string            `json:"@id"`
	Version                  int               `json:"version"`
	Vulnerability            json.RawMessage   `json:"vulnerability"` // an object; a string in v0.0.x
	VulnDescription          string            `json:"vuln_description"`
	Products                 []json.RawMessage `json:"products"`      // objects; strings in v0.0.x
	Subcomponents            []json.RawMessage `json:"subcomponents"` // v0.0.x: beside the products
	Status                   string            `json:"status"`
	StatusNotes              string            `json:"status_notes"`
	Justification            string            `json:"justification"`
	ImpactStatement          string            `json:"impact_statement"`
	ActionStatement          string            `json:"action_statement"`
	ActionStatementTimestamp string            `json:"action_statement_timestamp"`
	Supplier                 string            `json:"supplier"`
	Timestamp                string            `json:"timestamp"`
	LastUpdated              string            `json:"last_updated"`
}

type wireVulnerability struct {
	ID          string   `json:"@id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Aliases     []string `json:"aliases"`
}

type wireComponent struct {
	ID            string            `json:"@id"`
	Identifiers   Identifiers       `json:"identifiers"`
	Hashes        map[string]string `json:"hashes"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

// Load reads and parses the OpenVEX document at path (see Parse). A missing
// file wraps pipeline.ErrNotFound; parse errors name path.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read vex document %s: %w", path, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read vex document: %w", err)
	}
	return Parse(path, data)
}

// Parse parses an OpenVEX document in JSON; name is the file it came from,
// used in messages. It reads v0.2.0 and the v0.0.x forms (string
// vulnerabilities and products, statement-level subcomponents, a string
// version) and returns the v0.2.0 form. It is strict about what decides
// matching: a missing or foreign @context, a statement without vulnerability
// name or products, a product that names nothing or has a malformed package
// URL, an unknown status or justification, not_affected with neither
// justification nor impact_statement, and malformed times and versions. Each
// problem is a *FieldError naming name and the JSON field path; the returned
// error (one FieldError, or several joined) wraps pipeline.ErrInvalid.
// Unknown fields are ignored.
func Parse(name string, data []byte) (*Document, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	p := &problems{file: name}
	var w wireDocument
	if err := json.Unmarshal(data, &w); err != nil {
		p.addJSON("", data, err)
		return nil, p.err()
	}
	d := &Document{Context: w.Context, ID: w.ID, Author: w.Author, Role: w.Role, Tooling: w.Tooling}
	checkContext(p, w.Context)
	d.Timestamp = parseTime(p, "timestamp", w.Timestamp)
	d.LastUpdated = parseTime(p, "last_updated", w.LastUpdated)
	d.Version = documentVersion(p, w.Version)
	if len(w.Statements) == 0 {
		p.add("statements", "missing: a document needs at least one statement")
	}
	for i, raw := range w.Statements {
		d.Statements = append(d.Statements, parseStatement(p, fmt.Sprintf("statements[%d]", i), raw))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return d, nil
}

func checkContext(p *problems, ctx string) {
	c := strings.TrimSuffix(ctx, "/")
	switch {
	case ctx == "":
		p.add("@context", "missing (want %s)", ContextV020)
	case c == ContextV020, c == ContextBase, isLegacyContext(c):
	default:
		p.add("@context", "%q is not a supported OpenVEX context (want %s, %s or %s/v0.0.x)",
			ctx, ContextV020, ContextBase, ContextBase)
	}
}

// isLegacyContext reports whether c is a v0.0.x context.
func isLegacyContext(c string) bool {
	n, ok := strings.CutPrefix(c, ContextBase+"/v0.0.")
	if !ok || n == "" {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseTime parses an RFC 3339 time; the empty string is the zero time.
func parseTime(p *problems, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.add(field, "%q is not an RFC 3339 date-time", s)
		return time.Time{}
	}
	return t
}

// documentVersion reads the document version: an integer, or in v0.0.x a
// string holding one. Absent is 0.
func documentVersion(p *problems, raw json.RawMessage) int {
	if len(raw) == 0 || string(raw) == "null" {
		return 0
	}
	var n int
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			p.addJSON("version", raw, err)
			return 0
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			p.add("version", "%q is not a whole number", s)
			return 0
		}
		return v
	}
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
		p.add("version", "%s is not a whole number", raw)
		return 0
	}
	return n
}

func parseStatement(p *problems, path string, raw json.RawMessage) Statement {
	var w wireStatement
	if err := json.Unmarshal(raw, &w); err != nil {
		p.addJSON(path, raw, err)
		return Statement{}
	}
	s := Statement{
		ID:              w.ID,
		Version:         w.Version,
		Status:          Status(w.Status),
		StatusNotes:     w.StatusNotes,
		Justification:   Justification(w.Justification),
		ImpactStatement: w.ImpactStatement,
		ActionStatement: w.ActionStatement,
		Supplier:        w.Supplier,
	}
	if w.Version < 0 {
		p.add(path+".version", "%d is not a whole number", w.Version)
	}
	s.Vulnerability = parseVulnerability(p, path+".vulnerability", w.Vulnerability)
	if s.Vulnerability.Description == "" {
		s.Vulnerability.Description = w.VulnDescription
	}
	s.Products = parseProducts(p, path, w.Products, w.Subcomponents)
	s.Timestamp = parseTime(p, path+".timestamp", w.Timestamp)
	s.LastUpdated = parseTime(p, path+".last_updated", w.LastUpdated)
	s.ActionStatementTimestamp = parseTime(p, path+".action_statement_timestamp", w.ActionStatementTimestamp)
	checkStatus(p, path, &s)
	return s
}

func checkStatus(p *problems, path string, s *Statement) {
	switch {
	case s.Status == "":
		p.add(path+".status", "missing (want not_affected, affected, fixed or under_investigation)")
	case !s.Status.valid():
		p.add(path+".status", "%q is not a status (want not_affected, affected, fixed or under_investigation)", s.Status)
	case s.Status == StatusNotAffected && s.Justification == "" && strings.TrimSpace(s.ImpactStatement) == "":
		p.add(path+".justification", "missing: status not_affected needs a justification or an impact_statement")
	}
	if s.Justification != "" && !s.Justification.valid() {
		names := make([]string, 0, 5)
		for _, j := range justifications() {
			names = append(names, string(j))
		}
		p.add(path+".justification", "%q is not a justification (want %s or %s)",
			s.Justification, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
	}
}

// jsonKind names the kind of a JSON value by its first byte.
func jsonKind(raw []byte) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

func isNull(raw []byte) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func parseVulnerability(p *problems, path string, raw json.RawMessage) Vulnerability {
	if isNull(raw) {
		p.add(path, "missing")
		return Vulnerability{}
	}
	var v Vulnerability
	switch jsonKind(raw) {
	case "string":
		if err := json.Unmarshal(raw, &v.Name); err != nil {
			p.addJSON(path, raw, err)
		}
		if strings.TrimSpace(v.Name) == "" {
			p.add(path, "missing")
		}
		return v
	case "object":
	default:
		p.add(path, "got %s, want an object or a string", jsonKind(raw))
		return v
	}
	var w wireVulnerability
	if err := json.Unmarshal(raw, &w); err != nil {
		p.addJSON(path, raw, err)
		return v
	}
	v = Vulnerability{ID: w.ID, Name: w.Name, Description: w.Description}
	if strings.TrimSpace(w.Name) == "" {
		p.add(path+".name", "missing")
	}
	for i, a := range w.Aliases {
		if strings.TrimSpace(a) == "" {
			p.add(fmt.Sprintf("%s.aliases[%d]", path, i), "empty")
		}
	}
	if len(w.Aliases) > 0 {
		v.Aliases = w.Aliases
	}
	return v
}

// parseProducts parses a statement's products; legacy holds v0.0.x
// statement-level subcomponents, which go into every product.
func parseProducts(p *problems, path string, raws, legacy []json.RawMessage) []Component {
	if len(raws) == 0 {
		p.add(path+".products", "missing: a statement needs at least one product")
	}
	var subs []Subcomponent
	for i, raw := range legacy {
		subs = append(subs, parseSubcomponent(p, fmt.Sprintf("%s.subcomponents[%d]", path, i), raw))
	}
	var out []Component
	for i, raw := range raws {
		c := parseComponent(p, fmt.Sprintf("%s.products[%d]", path, i), raw)
		if len(subs) > 0 {
			c.Subcomponents = append(c.Subcomponents, subs...)
		}
		out = append(out, c)
	}
	return out
}

func parseComponent(p *problems, path string, raw json.RawMessage) Component {
	var c Component
	if isNull(raw) {
		p.add(path, "missing")
		return c
	}
	switch jsonKind(raw) {
	case "string":
		if err := json.Unmarshal(raw, &c.ID); err != nil {
			p.addJSON(path, raw, err)
		}
	case "object":
		var w wireComponent
		if err := json.Unmarshal(raw, &w); err != nil {
			p.addJSON(path, raw, err)
			return c
		}
		c = Component{ID: w.ID, Identifiers: w.Identifiers, Hashes: nonEmpty(w.Hashes)}
		for i, raw := range w.Subcomponents {
			c.Subcomponents = append(c.Subcomponents, parseSubcomponent(p, fmt.Sprintf("%s.subcomponents[%d]", path, i), raw))
		}
	default:
		p.add(path, "got %s, want an object or a string", jsonKind(raw))
		return c
	}
	checkIdentity(p, path, c.ID, c.Identifiers, c.Hashes)
	return c
}

func parseSubcomponent(p *problems, path string, raw json.RawMessage) Subcomponent {
	c := parseComponent(p, path, raw)
	if len(c.Subcomponents) > 0 {
		p.add(path+".subcomponents", "a subcomponent cannot have subcomponents")
	}
	return Subcomponent{ID: c.ID, Identifiers: c.Identifiers, Hashes: c.Hashes}
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// checkIdentity makes sure a component names something and that what looks
// like a package URL is one.
func checkIdentity(p *problems, path, id string, ids Identifiers, hashes map[string]string) {
	if strings.TrimSpace(id) == "" && ids == (Identifiers{}) && len(hashes) == 0 {
		p.add(path, "no @id, identifiers or hashes: it names nothing")
		return
	}
	if isPURL(id) {
		if _, err := packageurl.FromString(id); err != nil {
			p.add(path+".@id", "%q is not a valid package URL: %v", id, err)
		}
	}
	if ids.PURL == "" {
		return
	}
	if !isPURL(ids.PURL) {
		p.add(path+".identifiers.purl", "%q is not a package URL (want pkg:TYPE/...)", ids.PURL)
	} else if _, err := packageurl.FromString(ids.PURL); err != nil {
		p.add(path+".identifiers.purl", "%q is not a valid package URL: %v", ids.PURL, err)
	}
}

// isPURL reports whether s claims to be a package URL.
func isPURL(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "pkg:")
}
