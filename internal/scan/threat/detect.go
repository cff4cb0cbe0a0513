package threat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// Intel answers threat-list lookups; *intel.Set implements it. Methods may
// be called for every event, so they should be fast and must not block.
type Intel interface {
	// Domain reports whether name (or a parent domain of it) is listed;
	// trusted entries override.
	Domain(name string) (intel.Match, bool)
	// IP reports whether ip is listed (exact or inside a CIDR); trusted
	// entries override.
	IP(ip netip.Addr) (intel.Match, bool)
}

// Defaults for the zero values of Config.
const (
	DefaultWindow        = time.Minute
	DefaultPortScanPorts = 20
	DefaultPortScanHosts = 20
	DefaultExfilLabels   = 20
	DefaultExfilLabelLen = 24
	DefaultMaxKeys       = 10000
	DefaultMaxFindings   = 10000
)

// Config tunes Detect. The zero value runs every detector with the defaults
// and no threat lists.
type Config struct {
	// Intel holds the threat lists; nil disables the list-based findings.
	Intel Intel
	// AllowedPorts is the image's declared list of ports it may connect to
	// or listen on; NetworkPortUnusual is reported only when it is non-nil.
	AllowedPorts []int
	// Manifest holds the absolute paths of the files in the image; when it
	// is non-nil, executing any other path is a NewBinaryExecuted finding.
	Manifest map[string]bool
	// PortScanPorts is how many distinct ports on one host, and
	// PortScanHosts how many hosts on one port, make a port scan within
	// Window. Zero means DefaultPortScanPorts and DefaultPortScanHosts.
	PortScanPorts, PortScanHosts int
	// ExfilLabels is how many distinct long subdomains of one domain within
	// Window make DNS exfiltration; a subdomain is long from ExfilLabelLen
	// bytes. Zero means DefaultExfilLabels and DefaultExfilLabelLen.
	ExfilLabels, ExfilLabelLen int
	// Window is the sliding time window of the port-scan and exfiltration
	// detectors. Zero means DefaultWindow.
	Window time.Duration
	// MaxKeys bounds the hosts, ports, domains and paths each stateful
	// detector tracks, so memory stays bounded whatever the log. Zero means
	// DefaultMaxKeys.
	MaxKeys int
	// MaxFindings bounds the distinct findings kept; more are counted in
	// Stats.Dropped. Zero means DefaultMaxFindings.
	MaxFindings int
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.PortScanPorts, DefaultPortScanPorts)
	def(&c.PortScanHosts, DefaultPortScanHosts)
	def(&c.ExfilLabels, DefaultExfilLabels)
	def(&c.ExfilLabelLen, DefaultExfilLabelLen)
	def(&c.MaxKeys, DefaultMaxKeys)
	def(&c.MaxFindings, DefaultMaxFindings)
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	return c
}

// Stats summarises one Detect run.
type Stats struct {
	Events   int // events evaluated
	Skipped  int // lines a lenient Reader skipped
	Findings int // findings emitted (after deduplication)
	Dropped  int // distinct findings over Config.MaxFindings, not emitted
}

// detector looks at every event and reports what it recognises. Detectors
// keep their own state and are used by one goroutine.
type detector interface {
	observe(e *Event, rep *reporter)
}

func newDetectors(cfg Config) []detector {
	ds := []detector{
		newIntelDetector(cfg.Intel),
		&minerDetector{},
		&dgaDetector{},
		newExfilDetector(cfg),
		&spambotDetector{},
		newPortscanDetector(cfg),
		newNewBinaryDetector(cfg),
		&fileDetector{},
		&reverseShellDetector{},
		&toolDetector{},
		&packageManagerDetector{},
		&metadataDetector{},
	}
	if cfg.AllowedPorts != nil {
		ds = append(ds, newPortUnusualDetector(cfg.AllowedPorts))
	}
	return ds
}

// Detect reads every event of r, runs the detectors over it and, at the end
// of the log, emits one finding per finding type and artifact, in the order
// they were first seen; each finding's Description gives how often and when
// it was seen. State is bounded by Config.MaxKeys and MaxFindings.
//
// Detect returns the Reader's first error (a malformed line in strict
// mode, naming FILE:LINE), ctx.Err() when cancelled, or the first error of
// emit, which stops it.
func Detect(ctx context.Context, r *Reader, cfg Config, emit func(pipeline.Finding) error) (Stats, error) {
	cfg = cfg.withDefaults()
	ds := newDetectors(cfg)
	rep := newReporter(cfg.MaxFindings)
	var st Stats
	for {
		if st.Events&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			st.Skipped = r.Skipped()
			return st, err
		}
		st.Events++
		for _, d := range ds {
			d.observe(&e, rep)
		}
	}
	st.Skipped, st.Dropped = r.Skipped(), rep.dropped
	for _, f := range rep.findings() {
		if err := emit(f); err != nil {
			return st, err
		}
		st.Findings++
	}
	return st, nil
}

// hit is one deduplicated finding being collected.
type hit struct {
	f           pipeline.Finding
	what        string
	count       int
	first, last time.Time
}

type hitKey struct{ typ, artifact string }

// reporter deduplicates findings by finding type and artifact.
type reporter struct {
	types   map[string]FindingType
	hits    map[hitKey]*hit
	order   []*hit
	max     int
	dropped int
}

func newReporter(max int) *reporter {
	types := make(map[string]FindingType)
	for _, t := range FindingTypes() {
		types[t.ID] = t
	}
	return &reporter{types: types, hits: make(map[hitKey]*hit), max: max}
}

// report describes one sighting of a finding.
type report struct {
	typ      string
	artifact string // identifies the finding across runs
	what     string // a sentence saying what happened
	evidence string // redacted
	path     string
}

// add records a sighting of r made by event e.
func (rp *reporter) add(e *Event, r report) {
	k := hitKey{r.typ, r.artifact}
	if h := rp.hits[k]; h != nil {
		h.count++
		h.first, h.last = minTime(h.first, e.Time), maxTime(h.last, e.Time)
		return
	}
	if len(rp.hits) >= rp.max {
		rp.dropped++
		return
	}
	t, ok := rp.types[r.typ]
	if !ok {
		panic("threat: unknown finding type " + r.typ)
	}
	h := &hit{what: r.what, count: 1, first: e.Time, last: e.Time}
	h.f = pipeline.Finding{
		Kind:        pipeline.KindThreat,
		RuleID:      t.ID,
		Severity:    t.Severity,
		Title:       t.Title,
		Location:    pipeline.Location{Event: eventLabel(e, r.what), Path: r.path},
		Fingerprint: pipeline.Fingerprint(t.ID, r.artifact),
		Remediation: t.Remediation,
		References:  []string{t.Reference},
		Evidence:    r.evidence,
	}
	rp.hits[k] = h
	rp.order = append(rp.order, h)
}

func (rp *reporter) findings() []pipeline.Finding {
	out := make([]pipeline.Finding, 0, len(rp.order))
	for _, h := range rp.order {
		f := h.f
		f.Description = fmt.Sprintf("%s Seen %d time(s) from %s to %s.", capitalize(h.what)+".",
			h.count, h.first.UTC().Format(time.RFC3339Nano), h.last.UTC().Format(time.RFC3339Nano))
		out = append(out, f)
	}
	return out
}

// eventLabel renders "pid 42 curl: query example.com".
func eventLabel(e *Event, what string) string {
	name := e.Comm
	if name == "" {
		name = progName(e)
	}
	switch {
	case e.PID != 0 && name != "":
		return fmt.Sprintf("pid %d %s: %s", e.PID, name, what)
	case e.SrcIP.IsValid():
		return fmt.Sprintf("client %s: %s", e.SrcIP, what)
	default:
		return what
	}
}

func capitalize(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
