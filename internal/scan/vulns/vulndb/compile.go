package vulndb

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// maxRecordSize bounds one record file or archive member. The largest
// real advisories are a few hundred KiB.
const maxRecordSize = 64 << 20

// unit is one file or archive member to read and, if it is a record, parse.
type unit struct {
	// name names the record in warnings: the file path or "ZIP:member".
	name string
	// parse is false for archive members that are read only to check
	// them (their CRC), not parsed.
	parse bool
	// digest asks for the SHA-256 of the content (folder sources).
	digest bool
	open   func() (io.ReadCloser, error)
}

// parsed is what a worker makes of a unit.
type parsed struct {
	name     string
	v        *osv.Vulnerability
	enc      []byte
	warnings []*osv.FieldError
	// skip is why the record was skipped (a parse error).
	skip error
	// err is a read error: it fails the whole source.
	err    error
	size   int64
	digest [32]byte
}

// readUnit reads and parses one unit; it runs on a worker.
func readUnit(u unit) parsed {
	p := parsed{name: u.name}
	rc, err := u.open()
	if err != nil {
		p.err = err
		return p
	}
	defer rc.Close()
	if !u.parse {
		p.size, p.err = io.Copy(io.Discard, rc)
		return p
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
	p.size = int64(len(data))
	switch {
	case err != nil:
		p.err = err
		return p
	case len(data) > maxRecordSize:
		p.err = fmt.Errorf("larger than %d bytes: %w", maxRecordSize, pipeline.ErrInvalid)
		return p
	}
	if u.digest {
		p.digest = sha256.Sum256(data)
	}
	p.v, p.warnings, p.skip = osv.ParseLenient(u.name, data)
	if p.skip != nil {
		return p
	}
	p.enc = encodeRecord(nil, p.v)
	return p
}

// runUnits reads units on all CPUs and hands the results to fn in the
// units' order, a bounded batch at a time. It stops at fn's first error.
func runUnits(ctx context.Context, units []unit, fn func(parsed) error) error {
	workers := runtime.GOMAXPROCS(0)
	batch := 64 * workers
	out := make([]parsed, min(batch, len(units)))
	for start := 0; start < len(units); start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := units[start:min(start+batch, len(units))]
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(workers, len(chunk)) {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(chunk); i = int(next.Add(1) - 1) {
					out[i] = readUnit(chunk[i])
				}
			})
		}
		wg.Wait()
		for i := range chunk {
			if err := fn(out[i]); err != nil {
				return err
			}
			out[i] = parsed{}
		}
	}
	return nil
}

// compiled is one record kept so far, by ID.
type compiled struct {
	meta      recMeta
	keys      []string
	withdrawn bool
}

// compiler turns parsed records into one compiled source file, keeping the
// latest record of each ID, and counts what it sees.
type compiler struct {
	w      *sourceWriter
	warn   func(error)
	byID   map[string]*compiled
	parsed int
	info   SourceInfo
}

func newCompiler(w *sourceWriter, warn func(error)) *compiler {
	if warn == nil {
		warn = func(error) {}
	}
	return &compiler{w: w, warn: warn, byID: map[string]*compiled{}}
}

// add takes one unit's result: a read error fails, a parse error skips.
func (c *compiler) add(p parsed) error {
	if p.err != nil {
		return fmt.Errorf("read %s: %w", p.name, p.err)
	}
	if p.v == nil && p.skip == nil {
		return nil // a member read only to check it
	}
	if p.skip != nil {
		c.info.Skipped++
		c.info.Warnings++
		c.warn(p.skip)
		return nil
	}
	for _, w := range p.warnings {
		c.info.Warnings++
		c.warn(w)
	}
	c.parsed++
	v := p.v
	prev := c.byID[v.ID]
	if prev != nil {
		c.info.Duplicates++
		if v.Modified.Before(prev.meta.modified) {
			return nil
		}
	}
	rec := &compiled{meta: recMeta{id: v.ID, modified: v.Modified}, withdrawn: v.IsWithdrawn()}
	if !rec.withdrawn {
		off, err := c.w.writeRecord(p.enc)
		if err != nil {
			return fmt.Errorf("write %s: %w", p.name, err)
		}
		rec.meta.off, rec.meta.n = off, uint32(len(p.enc))
		rec.keys = recordKeys(v)
	}
	c.byID[v.ID] = rec
	return nil
}

// recordKeys lists the distinct keys of a record's affected entries.
func recordKeys(v *osv.Vulnerability) []string {
	var keys []string
	for _, a := range v.Affected {
		if k, ok := indexKey(a.Package); ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// finish writes the index and fills in the counts. It fails when the
// source held no parsable record.
func (c *compiler) finish() (SourceInfo, error) {
	if c.parsed == 0 {
		return SourceInfo{}, fmt.Errorf("no parsable OSV record: %w", pipeline.ErrInvalid)
	}
	entries := make([]indexEntry, 0, len(c.byID))
	c.info.Ecosystems = map[string]int{}
	for _, r := range c.byID {
		if r.withdrawn {
			c.info.Withdrawn++
			continue
		}
		entries = append(entries, indexEntry{meta: r.meta, keys: r.keys})
		seen := map[string]bool{}
		for _, k := range r.keys {
			if eco := keyEcosystem(k); !seen[eco] {
				seen[eco] = true
				c.info.Ecosystems[eco]++
			}
		}
	}
	slices.SortFunc(entries, func(a, b indexEntry) int { return strings.Compare(a.meta.id, b.meta.id) })
	c.info.Records = len(entries)
	if err := c.w.finish(entries); err != nil {
		return SourceInfo{}, fmt.Errorf("write index: %w", err)
	}
	return c.info, nil
}
