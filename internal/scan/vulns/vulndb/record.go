package vulndb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"
	"unsafe"

	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// The records of a compiled file are a compact binary form of
// *osv.Vulnerability rather than JSON: decoding one is several times faster
// than osv.ParseJSON (see BenchmarkDecodeRecord), which matters when a scan
// looks up most of a database. The form is private to this package and
// versioned by fileVersion. Every field of osv.Vulnerability is written, in
// declaration order: strings and raw JSON as a uvarint length and bytes,
// lists as a uvarint count and elements, times as 0 (zero) or 1, varint
// Unix seconds, uvarint nanoseconds (UTC, as osv parses them).
//
// TestRecordCodecCoversEveryField fails when osv gains a field, so that
// the codec is extended with it.

// errRecord reports a record that does not decode.
var errRecord = errors.New("malformed compiled record")

// encodeRecord appends the binary form of v to b.
func encodeRecord(b []byte, v *osv.Vulnerability) []byte {
	e := encoder{b: b}
	e.str(v.SchemaVersion)
	e.str(v.ID)
	e.time(v.Modified)
	e.time(v.Published)
	e.time(v.Withdrawn)
	e.strs(v.Aliases)
	e.strs(v.Related)
	e.strs(v.Upstream)
	e.str(v.Summary)
	e.str(v.Details)
	e.severities(v.Severities)
	e.uint(len(v.Affected))
	for i := range v.Affected {
		e.affected(&v.Affected[i])
	}
	e.uint(len(v.References))
	for _, r := range v.References {
		e.str(r.Type)
		e.str(r.URL)
	}
	e.uint(len(v.Credits))
	for _, c := range v.Credits {
		e.str(c.Name)
		e.strs(c.Contact)
		e.str(c.Type)
	}
	e.raw(v.DatabaseSpecific)
	return e.b
}

type encoder struct{ b []byte }

func (e *encoder) uint(n int) { e.b = binary.AppendUvarint(e.b, uint64(n)) }

func (e *encoder) str(s string) {
	e.uint(len(s))
	e.b = append(e.b, s...)
}

func (e *encoder) raw(m json.RawMessage) {
	e.uint(len(m))
	e.b = append(e.b, m...)
}

func (e *encoder) strs(ss []string) {
	e.uint(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.uint(t.Nanosecond())
}

func (e *encoder) severities(ss []osv.SeverityScore) {
	e.uint(len(ss))
	for _, s := range ss {
		e.str(string(s.Type))
		e.str(s.Score)
	}
}

func (e *encoder) affected(a *osv.Affected) {
	e.str(a.Package.Ecosystem)
	e.str(a.Package.Name)
	e.str(a.Package.Purl)
	e.severities(a.Severities)
	e.uint(len(a.Ranges))
	for _, r := range a.Ranges {
		e.str(string(r.Type))
		e.str(r.Repo)
		e.uint(len(r.Events))
		for _, ev := range r.Events {
			e.str(ev.Introduced)
			e.str(ev.Fixed)
			e.str(ev.LastAffected)
			e.str(ev.Limit)
		}
		e.raw(r.DatabaseSpecific)
	}
	e.strs(a.Versions)
	e.raw(a.EcosystemSpecific)
	e.raw(a.DatabaseSpecific)
}

// decodeRecord decodes what encodeRecord wrote, without copying: strings
// and raw JSON point into data, which the caller hands over and must never
// touch again. Strings and raw JSON cover disjoint bytes, and raw JSON is
// capped, so even a caller writing into a record's raw JSON (which it must
// not) could not change a string.
func decodeRecord(data []byte) (*osv.Vulnerability, error) {
	d := decoder{b: data}
	if len(data) > 0 {
		d.s = unsafe.String(&data[0], len(data))
	}
	v := &osv.Vulnerability{
		SchemaVersion: d.str(),
		ID:            d.str(),
		Modified:      d.time(),
		Published:     d.time(),
		Withdrawn:     d.time(),
		Aliases:       d.strs(),
		Related:       d.strs(),
		Upstream:      d.strs(),
		Summary:       d.str(),
		Details:       d.str(),
		Severities:    d.severities(),
	}
	if n := d.count(); n > 0 {
		v.Affected = make([]osv.Affected, n)
		for i := range v.Affected {
			d.affected(&v.Affected[i])
		}
	}
	if n := d.count(); n > 0 {
		v.References = make([]osv.Reference, n)
		for i := range v.References {
			v.References[i] = osv.Reference{Type: d.str(), URL: d.str()}
		}
	}
	if n := d.count(); n > 0 {
		v.Credits = make([]osv.Credit, n)
		for i := range v.Credits {
			v.Credits[i] = osv.Credit{Name: d.str(), Contact: d.strs(), Type: d.str()}
		}
	}
	v.DatabaseSpecific = d.raw()
	if d.err == nil && d.i != len(d.b) {
		d.err = errRecord
	}
	if d.err != nil {
		return nil, d.err
	}
	return v, nil
}

// decoder reads the binary form; after the first error every read
// returns a zero value and err stays set.
type decoder struct {
	b   []byte
	s   string
	i   int
	err error
}

func (d *decoder) fail() { d.err, d.i = errRecord, len(d.b) }

func (d *decoder) uvarint() uint64 {
	n, k := binary.Uvarint(d.b[d.i:])
	if k <= 0 {
		d.fail()
		return 0
	}
	d.i += k
	return n
}

// count reads a list length, bounded by the bytes left (every element
// takes at least one), so that damage cannot cause a huge allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) span() (start, end int) {
	n := d.count()
	start = d.i
	d.i += n
	return start, d.i
}

func (d *decoder) str() string {
	start, end := d.span()
	return d.s[start:end]
}

func (d *decoder) raw() json.RawMessage {
	start, end := d.span()
	if start == end {
		return nil
	}
	return d.b[start:end:end]
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) time() time.Time {
	if d.i >= len(d.b) {
		d.fail()
		return time.Time{}
	}
	flag := d.b[d.i]
	d.i++
	if flag == 0 {
		return time.Time{}
	}
	sec, k := binary.Varint(d.b[d.i:])
	if flag != 1 || k <= 0 {
		d.fail()
		return time.Time{}
	}
	d.i += k
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) severities() []osv.SeverityScore {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]osv.SeverityScore, n)
	for i := range ss {
		ss[i] = osv.SeverityScore{Type: osv.SeverityType(d.str()), Score: d.str()}
	}
	return ss
}

func (d *decoder) affected(a *osv.Affected) {
	a.Package = osv.Package{Ecosystem: d.str(), Name: d.str(), Purl: d.str()}
	a.Severities = d.severities()
	if n := d.count(); n > 0 {
		a.Ranges = make([]osv.Range, n)
		for i := range a.Ranges {
			d.rangeInto(&a.Ranges[i])
		}
	}
	a.Versions = d.strs()
	a.EcosystemSpecific = d.raw()
	a.DatabaseSpecific = d.raw()
}

func (d *decoder) rangeInto(r *osv.Range) {
	r.Type = osv.RangeType(d.str())
	r.Repo = d.str()
	if n := d.count(); n > 0 {
		r.Events = make([]osv.Event, n)
		for i := range r.Events {
			r.Events[i] = osv.Event{Introduced: d.str(), Fixed: d.str(), LastAffected: d.str(), Limit: d.str()}
		}
	}
	r.DatabaseSpecific = d.raw()
}
