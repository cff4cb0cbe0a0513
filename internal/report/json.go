package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// jsonVersion is the version of the JSON report document. It changes only
// when a field is removed or changes meaning; new fields keep it.
const jsonVersion = 1

// jsonWriter renders the report as one JSON document for scripts and as
// the input of baselines (which read findings[].fingerprint).
type jsonWriter struct{}

var _ Writer = jsonWriter{}

// jsonReport is the JSON document. Field order here is the key order in
// the output.
type jsonReport struct {
	Version  int           `json:"version"`
	Tool     jsonTool      `json:"tool"`
	Scanner  string        `json:"scanner"`
	Target   string        `json:"target"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Verdict  *jsonVerdict  `json:"verdict"`
	Summary  jsonSummary   `json:"summary"`
	Findings []jsonFinding `json:"findings"`
	Warnings []string      `json:"warnings"`
	Upgrades []Upgrade     `json:"upgrades,omitempty"`
}

type jsonTool struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	InformationURI string `json:"information_uri"`
}

// jsonVerdict is pipeline.Verdict with the blocking indexes replaced by
// their count: each finding carries its own "blocking" flag instead.
type jsonVerdict struct {
	Passed     bool              `json:"passed"`
	FailOn     pipeline.Severity `json:"fail_on"`
	Blocking   int               `json:"blocking"`
	Suppressed int               `json:"suppressed"`
	Baselined  int               `json:"baselined"`
	Expired    int               `json:"expired"`
}

type jsonSummary struct {
	Total      int            `json:"total"`
	BySeverity jsonBySeverity `json:"by_severity"`
}

// jsonBySeverity lists every severity, most severe first, zeros included,
// so scripts can read .summary.by_severity.critical without a default.
type jsonBySeverity struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
	Unknown  int `json:"unknown"`
}

// jsonFinding is a pipeline.Finding in its own JSON form plus the gate's
// decision about it.
type jsonFinding struct {
	pipeline.Finding
	Blocking bool `json:"blocking"`
}

func (jsonWriter) Write(w io.Writer, r *Report) error {
	es, err := entries(r)
	if err != nil {
		return err
	}
	doc := newJSONReport(r, es)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil { // Encode ends with a newline
		return fmt.Errorf("encode json report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func newJSONReport(r *Report, es []entry) jsonReport {
	c := tally(r)
	doc := jsonReport{
		Version:  jsonVersion,
		Tool:     jsonTool{Name: r.Tool.Name, Version: r.Tool.Version, InformationURI: r.Tool.InformationURI},
		Scanner:  r.Scanner,
		Target:   r.Target,
		Started:  r.Started.UTC(),
		Finished: r.Finished.UTC(),
		Summary: jsonSummary{Total: len(r.Findings), BySeverity: jsonBySeverity{
			Critical: c.bySeverity[pipeline.SeverityCritical],
			High:     c.bySeverity[pipeline.SeverityHigh],
			Medium:   c.bySeverity[pipeline.SeverityMedium],
			Low:      c.bySeverity[pipeline.SeverityLow],
			Info:     c.bySeverity[pipeline.SeverityInfo],
			Unknown:  c.bySeverity[pipeline.SeverityUnknown],
		}},
		Findings: make([]jsonFinding, 0, len(es)),
		Warnings: append([]string{}, r.Warnings...),
		Upgrades: r.Upgrades,
	}
	if v := r.Verdict; v != nil {
		doc.Verdict = &jsonVerdict{Passed: v.Passed, FailOn: v.FailOn, Blocking: len(v.Blocking),
			Suppressed: v.Suppressed, Baselined: v.Baselined, Expired: v.Expired}
	}
	for _, e := range es {
		doc.Findings = append(doc.Findings, jsonFinding{Finding: *e.f, Blocking: e.blocking})
	}
	return doc
}
