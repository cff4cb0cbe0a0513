// Package vex reads OpenVEX documents (https://github.com/openvex/spec,
// v0.2.0 and the earlier v0.0.x forms) and answers one question for the
// vulnerability scanner: does a statement apply to this finding, and which
// one? A statement with status not_affected or fixed suppresses the finding;
// affected and under_investigation do not, but may carry an action statement
// worth showing.
//
// Documents are plain values: Parse and Load build them, nothing changes
// them afterwards, and Lookup only reads, so a Document or Set may be shared
// by any number of goroutines.
package vex

import (
	"strings"
	"time"
)

// Contexts of OpenVEX documents. Parse accepts ContextV020, ContextBase and
// any "https://openvex.dev/ns/v0.0.N".
const (
	ContextBase = "https://openvex.dev/ns"
	ContextV020 = "https://openvex.dev/ns/v0.2.0"
)

// Status is what a statement says about a vulnerability in its products.
type Status string

// The statuses OpenVEX defines.
const (
	StatusNotAffected        Status = "not_affected"
	StatusAffected           Status = "affected"
	StatusFixed              Status = "fixed"
	StatusUnderInvestigation Status = "under_investigation"
)

// Suppresses reports whether a finding covered by a statement with this
// status should be dropped: true for not_affected and fixed.
func (s Status) Suppresses() bool {
	return s == StatusNotAffected || s == StatusFixed
}

func (s Status) valid() bool {
	switch s {
	case StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation:
		return true
	}
	return false
}

// Justification says why a product is not affected.
type Justification string

// The justifications OpenVEX defines, in the order the spec lists them.
const (
	ComponentNotPresent                         Justification = "component_not_present"
	VulnerableCodeNotPresent                    Justification = "vulnerable_code_not_present"
	VulnerableCodeNotInExecutePath              Justification = "vulnerable_code_not_in_execute_path"
	VulnerableCodeCannotBeControlledByAdversary Justification = "vulnerable_code_cannot_be_controlled_by_adversary"
	InlineMitigationsAlreadyExist               Justification = "inline_mitigations_already_exist"
)

// justifications lists the valid justifications for messages.
func justifications() []Justification {
	return []Justification{
		ComponentNotPresent,
		VulnerableCodeNotPresent,
		VulnerableCodeNotInExecutePath,
		VulnerableCodeCannotBeControlledByAdversary,
		InlineMitigationsAlreadyExist,
	}
}

func (j Justification) valid() bool {
	for _, v := range justifications() {
		if j == v {
			return true
		}
	}
	return false
}

// Document is one OpenVEX document. Parse fills it from JSON; marshalling it
// with encoding/json yields the v0.2.0 form (keeping the @context it was read
// with), which Parse reads back to an equal Document. Zero times are left
// out.
type Document struct {
	Context     string      `json:"@context"`
	ID          string      `json:"@id,omitempty"`
	Author      string      `json:"author,omitempty"`
	Role        string      `json:"role,omitempty"`
	Timestamp   time.Time   `json:"timestamp,omitzero"`
	LastUpdated time.Time   `json:"last_updated,omitzero"`
	Version     int         `json:"version,omitempty"`
	Tooling     string      `json:"tooling,omitempty"`
	Statements  []Statement `json:"statements"`
}

// Statement says that a vulnerability has a status in some products.
// Timestamp and LastUpdated are zero when the document did not give them;
// the statement then inherits the document's time (see Lookup).
type Statement struct {
	ID                       string        `json:"@id,omitempty"`
	Version                  int           `json:"version,omitempty"`
	Vulnerability            Vulnerability `json:"vulnerability"`
	Products                 []Component   `json:"products"`
	Status                   Status        `json:"status"`
	StatusNotes              string        `json:"status_notes,omitempty"`
	Justification            Justification `json:"justification,omitempty"`
	ImpactStatement          string        `json:"impact_statement,omitempty"`
	ActionStatement          string        `json:"action_statement,omitempty"`
	ActionStatementTimestamp time.Time     `json:"action_statement_timestamp,omitzero"`
	Supplier                 string        `json:"supplier,omitempty"`
	Timestamp                time.Time     `json:"timestamp,omitzero"`
	LastUpdated              time.Time     `json:"last_updated,omitzero"`
}

// Vulnerability names the vulnerability a statement is about. In v0.0.x
// documents it was a plain string, which Parse reads as Name.
type Vulnerability struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

// matches reports whether the vulnerability's name, @id or one of its
// aliases is one of ids, ignoring case.
func (v *Vulnerability) matches(ids []string) bool {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if strings.EqualFold(id, v.Name) || (v.ID != "" && strings.EqualFold(id, v.ID)) {
			return true
		}
		for _, a := range v.Aliases {
			if strings.EqualFold(id, a) {
				return true
			}
		}
	}
	return false
}

// Component is a product of a statement: typically an image or a package,
// named by an @id (a package URL or any IRI), identifiers or hashes. When it
// has Subcomponents, the statement is about those packages inside it. In
// v0.0.x documents a product was a plain string, which Parse reads as ID,
// and subcomponents sat beside the products, which Parse moves into each.
type Component struct {
	ID            string            `json:"@id,omitempty"`
	Identifiers   Identifiers       `json:"identifiers,omitzero"`
	Hashes        map[string]string `json:"hashes,omitempty"`
	Subcomponents []Subcomponent    `json:"subcomponents,omitempty"`
}

// Subcomponent is a package inside a product, named like a Component.
type Subcomponent struct {
	ID          string            `json:"@id,omitempty"`
	Identifiers Identifiers       `json:"identifiers,omitzero"`
	Hashes      map[string]string `json:"hashes,omitempty"`
}

// Identifiers are the software identifiers of a component. Lookup matches
// PURL as a package URL, and any of them equal to Product.Target.
type Identifiers struct {
	PURL  string `json:"purl,omitempty"`
	CPE23 string `json:"cpe23,omitempty"`
	CPE22 string `json:"cpe22,omitempty"`
}
