package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// SARIF constants: the version, the schema the output is valid against, the
// base every artifact URI is relative to, and the key of our fingerprint.
const (
	sarifVersion     = "2.1.0"
	sarifSchema      = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifSrcRoot     = "%SRCROOT%"
	sarifFingerprint = "secpipeFingerprint/v1"
)

// sarifWriter renders the report as a SARIF 2.1.0 log with one run, the
// format code-scanning services (GitHub code scanning among them) import.
//
// It uses its own encoding/json types for the part of SARIF secpipe fills
// in rather than a SARIF library: they keep the output to the fields we
// set, make zero values safe (no null arrays, no -1 sentinels) and add no
// dependencies to the binary. A test validates the output against the
// official SARIF 2.1.0 schema.
type sarifWriter struct{}

var _ Writer = sarifWriter{}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails sarifAutomation   `json:"automationDetails"`
	Invocations       []sarifInvocation `json:"invocations"`
	Results           []sarifResult     `json:"results"`
	Properties        sarifRunProps     `json:"properties"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      *sarifText      `json:"fullDescription,omitempty"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	// SecuritySeverity is the CVSS-like score GitHub code scanning ranks by.
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifRunProps struct {
	Scanner string       `json:"scanner,omitempty"`
	Target  string       `json:"target,omitempty"`
	Verdict *jsonVerdict `json:"verdict,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifResultProps struct {
	Kind           string  `json:"kind"`
	Severity       string  `json:"severity"`
	CVSS           float64 `json:"cvss,omitempty"`
	Blocking       bool    `json:"blocking"`
	Group          string  `json:"group,omitempty"`
	Commit         string  `json:"commit,omitempty"`
	Author         string  `json:"author,omitempty"`
	Date           string  `json:"date,omitempty"`
	Package        string  `json:"package,omitempty"`
	PackageVersion string  `json:"packageVersion,omitempty"`
	Event          string  `json:"event,omitempty"`
	// ExpiredIgnore names the ignore entry that matched but has expired.
	ExpiredIgnore string `json:"expiredIgnore,omitempty"`
}

func (sarifWriter) Write(w io.Writer, r *Report) error {
	es, err := entries(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(newSARIFLog(r, es)); err != nil {
		return fmt.Errorf("encode sarif report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write sarif report: %w", err)
	}
	return nil
}

func newSARIFLog(r *Report, es []entry) sarifLog {
	rules, index := sarifRules(es)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           cmp.Or(r.Tool.Name, "secpipe"),
			Version:        r.Tool.Version,
			InformationURI: absoluteURL(r.Tool.InformationURI),
			Rules:          rules,
		}},
		AutomationDetails: sarifAutomation{ID: "secpipe/" + cmp.Or(r.Scanner, "scan") + "/"},
		Invocations:       []sarifInvocation{sarifInvocationOf(r)},
		Results:           make([]sarifResult, 0, len(es)),
		Properties:        sarifRunProps{Scanner: r.Scanner, Target: r.Target},
	}
	if v := r.Verdict; v != nil {
		run.Properties.Verdict = &jsonVerdict{Passed: v.Passed, FailOn: v.FailOn, Blocking: len(v.Blocking),
			Suppressed: v.Suppressed, Baselined: v.Baselined, Expired: v.Expired}
	}
	for _, e := range es {
		run.Results = append(run.Results, sarifResultOf(e, index[e.f.RuleID]))
	}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// sarifRules describes each rule seen once, sorted by ID, and returns the
// index of each ID in that list. Entries come most severe first, so the
// first finding of a rule is its most severe one and describes the rule.
func sarifRules(es []entry) ([]sarifRule, map[string]int) {
	first := map[string]*pipeline.Finding{}
	kinds := map[string][]string{}
	var ids []string
	for _, e := range es {
		id := e.f.RuleID
		if first[id] == nil {
			first[id] = e.f
			ids = append(ids, id)
		}
		if k := string(e.f.Kind); k != "" && !slices.Contains(kinds[id], k) {
			kinds[id] = append(kinds[id], k)
		}
	}
	slices.Sort(ids)
	rules := make([]sarifRule, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		f := first[id]
		index[id] = i
		rule := sarifRule{
			ID:                   id,
			Name:                 sarifRuleName(id),
			ShortDescription:     sarifText{Text: cmp.Or(f.Title, id)},
			Help:                 sarifText{Text: cmp.Or(f.Remediation, f.Description, f.Title, id)},
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(f.Severity)},
			Properties: sarifRuleProps{
				SecuritySeverity: securitySeverity(f.Severity, f.CVSS),
				Tags:             append([]string{"security"}, slices.Sorted(slices.Values(kinds[id]))...),
			},
		}
		if f.Description != "" {
			rule.FullDescription = &sarifText{Text: f.Description}
		}
		for _, ref := range f.References {
			if u := absoluteURL(ref); u != "" {
				rule.HelpURI = u
				break
			}
		}
		rules = append(rules, rule)
	}
	return rules, index
}

func sarifResultOf(e entry, ruleIndex int) sarifResult {
	f, l := e.f, e.f.Location
	res := sarifResult{
		RuleID:    f.RuleID,
		RuleIndex: ruleIndex,
		Level:     sarifLevel(f.Severity),
		Message:   sarifText{Text: sarifMessage(f)},
		Locations: sarifLocations(l),
		// Always set: entries rejects findings without a fingerprint.
		PartialFingerprints: map[string]string{sarifFingerprint: f.Fingerprint},
		Properties: sarifResultProps{
			Kind: string(f.Kind), Severity: f.Severity.String(), CVSS: f.CVSS, Blocking: e.blocking,
			Group: f.Group, Commit: l.Commit, Author: l.Author,
			Package: l.Package, PackageVersion: l.Version, Event: l.Event,
		},
	}
	if !l.Date.IsZero() {
		res.Properties.Date = l.Date.Format(time.RFC3339)
	}
	if s := f.Suppressed; s != nil {
		kind := "external"
		if s.By == byInline {
			kind = "inSource"
		}
		res.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: justification(s)}}
		if s.By == byBaseline {
			res.BaselineState = "unchanged"
		}
	}
	if x := f.Expired; x != nil {
		res.Properties.ExpiredIgnore = cmp.Or(x.Source, x.Reason, x.By)
	}
	return res
}

// sarifMessage is the title with the redacted evidence, plus the location
// when there is no file to point at and the commit for git history.
func sarifMessage(f *pipeline.Finding) string {
	msg := cmp.Or(f.Title, f.RuleID)
	if f.Evidence != "" {
		msg += ": " + f.Evidence
	}
	l := f.Location
	switch {
	case l.Path != "":
	case l.Package != "":
		msg += " (package " + pipeline.Location{Package: l.Package, Version: l.Version}.String() + ")"
	case l.Event != "":
		msg += " (event " + l.Event + ")"
	}
	if l.Commit != "" {
		msg += " (commit " + shortCommit(l.Commit) + ")"
	}
	return msg
}

// sarifLocations points at the file (and line, when known) and names the
// package or event as a logical location.
func sarifLocations(l pipeline.Location) []sarifLocation {
	var loc sarifLocation
	if l.Path != "" {
		loc.PhysicalLocation = &sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: relativeURI(l.Path), URIBaseID: sarifSrcRoot},
			Region:           sarifRegionOf(l),
		}
	}
	if l.Package != "" {
		name := pipeline.Location{Package: l.Package, Version: l.Version}.String()
		loc.LogicalLocations = []sarifLogical{{Name: l.Package, FullyQualifiedName: name, Kind: "package"}}
	} else if l.Path == "" && l.Event != "" {
		loc.LogicalLocations = []sarifLogical{{Name: l.Event, FullyQualifiedName: l.Event, Kind: "event"}}
	}
	if loc.PhysicalLocation == nil && loc.LogicalLocations == nil {
		return nil
	}
	return []sarifLocation{loc}
}

// sarifRegionOf returns the region of a location, nil when it has no line.
func sarifRegionOf(l pipeline.Location) *sarifRegion {
	if l.Line < 1 {
		return nil
	}
	reg := &sarifRegion{StartLine: l.Line, StartColumn: max(l.Column, 0)}
	if l.EndLine >= l.Line {
		reg.EndLine = l.EndLine
		if l.EndColumn > 0 {
			reg.EndColumn = l.EndColumn
		}
	}
	return reg
}

func sarifInvocationOf(r *Report) sarifInvocation {
	inv := sarifInvocation{ExecutionSuccessful: true}
	if !r.Started.IsZero() {
		inv.StartTimeUTC = r.Started.UTC().Format(time.RFC3339Nano)
	}
	if !r.Finished.IsZero() {
		inv.EndTimeUTC = r.Finished.UTC().Format(time.RFC3339Nano)
	}
	for _, w := range r.Warnings {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarifNotification{Level: "warning", Message: sarifText{Text: w}})
	}
	return inv
}

// sarifLevel maps a severity to a SARIF level: critical and high are
// errors, medium is a warning, everything else a note.
func sarifLevel(s pipeline.Severity) string {
	switch {
	case s >= pipeline.SeverityHigh:
		return "error"
	case s == pipeline.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity returns the score GitHub code scanning ranks a rule by
// (critical above 9.0, high from 7.0, medium from 4.0, low from 0.1): the
// finding's CVSS score when it falls in its severity's band, otherwise a
// fixed score inside the band. Info and unknown get none.
func securitySeverity(s pipeline.Severity, cvss float64) string {
	var lo, hi, def float64
	switch s {
	case pipeline.SeverityCritical:
		lo, hi, def = 9.0, 10.0, 9.5
	case pipeline.SeverityHigh:
		lo, hi, def = 7.0, 8.9, 8.0
	case pipeline.SeverityMedium:
		lo, hi, def = 4.0, 6.9, 5.5
	case pipeline.SeverityLow:
		lo, hi, def = 0.1, 3.9, 2.0
	default:
		return ""
	}
	if cvss >= lo && cvss <= hi {
		def = cvss
	}
	return fmt.Sprintf("%.1f", def)
}

// justification says why a suppressed finding is accepted and where that
// was decided.
func justification(s *pipeline.Suppression) string {
	switch {
	case s.Reason != "" && s.Source != "":
		return s.Reason + " (" + s.Source + ")"
	case s.By == byBaseline && s.Source != "":
		return "in baseline " + s.Source
	default:
		return cmp.Or(s.Reason, s.Source, s.By)
	}
}

// relativeURI turns a slash-separated path relative to the scanned root
// into a relative URI reference: each segment is percent-encoded, and a
// colon in the first segment is too, so that it cannot read as a scheme.
func relativeURI(path string) string {
	path = strings.TrimPrefix(path, "./")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	segs[0] = strings.ReplaceAll(segs[0], ":", "%3A")
	return strings.Join(segs, "/")
}

// absoluteURL returns u when it is an absolute http(s) URL, else "".
func absoluteURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}

// sarifRuleName makes the readable rule name SARIF asks for from a rule
// ID: "aws-access-key-id" becomes "AwsAccessKeyId".
func sarifRuleName(id string) string {
	var b strings.Builder
	upper := true
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return cmp.Or(b.String(), "Rule")
}
