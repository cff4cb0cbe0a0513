package vulndb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"time"
)

// The compiled source file; see the package doc for the layout.
const (
	fileMagic     = "SPVDBSRC"
	fileVersion   = 1
	headerSize    = 64
	recEntrySize  = 32
	keyEntrySize  = 16
	postEntrySize = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a compiled file that fails validation.
var errCorrupt = errors.New("corrupt compiled source file")

// recMeta is what the index says about one record.
type recMeta struct {
	off      int64
	n        uint32
	id       string
	modified time.Time
}

// sourceWriter writes one compiled source file: records as they come, then
// the index over the records it is given at the end.
type sourceWriter struct {
	f   *os.File
	bw  *bufio.Writer
	off int64
}

// createSourceFile starts a compiled file at path, leaving room for the header.
func createSourceFile(path string) (*sourceWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	w := &sourceWriter{f: f, bw: bufio.NewWriterSize(f, 256<<10), off: headerSize}
	if _, err := w.bw.Write(make([]byte, headerSize)); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// writeRecord appends one encoded record and returns where it lies.
func (w *sourceWriter) writeRecord(data []byte) (off int64, err error) {
	if len(data) > math.MaxUint32 {
		return 0, fmt.Errorf("record of %d bytes is too large", len(data))
	}
	off = w.off
	if _, err := w.bw.Write(data); err != nil {
		return 0, err
	}
	w.off += int64(len(data))
	return off, nil
}

// indexEntry is one record to index: where it lies and its keys.
type indexEntry struct {
	meta recMeta
	keys []string
}

// finish writes the index over entries, the header, syncs and closes the
// file. entries must be sorted by ID.
func (w *sourceWriter) finish(entries []indexEntry) error {
	idx, counts := buildIndex(entries)
	err := w.writeIndex(idx, counts)
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (w *sourceWriter) writeIndex(idx []byte, counts [3]uint32) error {
	indexOff := w.off
	if _, err := w.bw.Write(idx); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	h := make([]byte, headerSize)
	copy(h, fileMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], fileVersion)
	le.PutUint32(h[12:], counts[0])
	le.PutUint32(h[16:], counts[1])
	le.PutUint32(h[20:], counts[2])
	le.PutUint64(h[24:], uint64(indexOff))
	le.PutUint64(h[32:], uint64(len(idx)))
	le.PutUint32(h[40:], crc32.Checksum(idx, castagnoli))
	if _, err := w.f.WriteAt(h, 0); err != nil {
		return err
	}
	return w.f.Sync()
}

// abort closes the file; the caller removes it.
func (w *sourceWriter) abort() { w.f.Close() }

// buildIndex encodes the index section: record table, key table, postings,
// strings. It returns the section and the record, key and posting counts.
func buildIndex(entries []indexEntry) ([]byte, [3]uint32) {
	postings := map[string][]uint32{}
	for i, e := range entries {
		for _, k := range e.keys {
			postings[k] = append(postings[k], uint32(i))
		}
	}
	keys := make([]string, 0, len(postings))
	npost := 0
	for k, p := range postings {
		keys = append(keys, k)
		npost += len(p)
	}
	slices.Sort(keys)
	fixed := len(entries)*recEntrySize + len(keys)*keyEntrySize + npost*postEntrySize
	buf := make([]byte, fixed, fixed+len(entries)*24+len(keys)*48)
	le := binary.LittleEndian
	for i, e := range entries {
		b := buf[i*recEntrySize:]
		le.PutUint64(b, uint64(e.meta.off))
		le.PutUint32(b[8:], e.meta.n)
		le.PutUint32(b[12:], uint32(len(buf)-fixed))
		le.PutUint32(b[16:], uint32(len(e.meta.id)))
		le.PutUint64(b[20:], uint64(e.meta.modified.Unix()))
		le.PutUint32(b[28:], uint32(e.meta.modified.Nanosecond()))
		buf = append(buf, e.meta.id...)
	}
	keyBase := len(entries) * recEntrySize
	post := keyBase + len(keys)*keyEntrySize
	postStart := 0
	for i, k := range keys {
		b := buf[keyBase+i*keyEntrySize:]
		le.PutUint32(b, uint32(len(buf)-fixed))
		le.PutUint32(b[4:], uint32(len(k)))
		le.PutUint32(b[8:], uint32(postStart))
		le.PutUint32(b[12:], uint32(len(postings[k])))
		buf = append(buf, k...)
		for _, r := range postings[k] {
			le.PutUint32(buf[post+postStart*postEntrySize:], r)
			postStart++
		}
	}
	return buf, [3]uint32{uint32(len(entries)), uint32(len(keys)), uint32(npost)}
}

// sourceFile is an open compiled file: its index in memory, its records
// read on demand. Safe for concurrent use.
type sourceFile struct {
	f                 *os.File
	idx               []byte
	nrec, nkey        int
	keyBase, postBase int
	strBase, indexOff int
}

// openSourceFile opens and validates a compiled file.
func openSourceFile(path string) (*sourceFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := readSourceFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func readSourceFile(f *os.File) (*sourceFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	h := make([]byte, headerSize)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, headerSize), h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errCorrupt, err)
	}
	le := binary.LittleEndian
	if string(h[:8]) != fileMagic || le.Uint32(h[8:]) != fileVersion {
		return nil, fmt.Errorf("%w: bad magic or version", errCorrupt)
	}
	nrec, nkey, npost := uint64(le.Uint32(h[12:])), uint64(le.Uint32(h[16:])), uint64(le.Uint32(h[20:]))
	off, n := le.Uint64(h[24:]), le.Uint64(h[32:])
	fixed := nrec*recEntrySize + nkey*keyEntrySize + npost*postEntrySize
	if off < headerSize || n < fixed || off > uint64(st.Size()) || n != uint64(st.Size())-off {
		return nil, fmt.Errorf("%w: bad index bounds", errCorrupt)
	}
	idx := make([]byte, n)
	if _, err := f.ReadAt(idx, int64(off)); err != nil {
		return nil, fmt.Errorf("%w: index: %v", errCorrupt, err)
	}
	if crc32.Checksum(idx, castagnoli) != le.Uint32(h[40:]) {
		return nil, fmt.Errorf("%w: index checksum mismatch", errCorrupt)
	}
	s := &sourceFile{
		f: f, idx: idx, nrec: int(nrec), nkey: int(nkey), indexOff: int(off),
		keyBase: int(nrec * recEntrySize), postBase: int(nrec*recEntrySize + nkey*keyEntrySize), strBase: int(fixed),
	}
	if err := s.validate(int(npost)); err != nil {
		return nil, err
	}
	return s, nil
}

// validate checks every offset of the index, so that lookups cannot go out
// of bounds, and that keys are strictly sorted, so that binary search works.
func (s *sourceFile) validate(npost int) error {
	le := binary.LittleEndian
	nstr := uint64(len(s.idx) - s.strBase)
	for i := range s.nrec {
		b := s.idx[i*recEntrySize:]
		off, n := le.Uint64(b), uint64(le.Uint32(b[8:]))
		so, sn := uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:]))
		if off < headerSize || off+n > uint64(s.indexOff) || so+sn > nstr || le.Uint32(b[28:]) >= 1e9 {
			return fmt.Errorf("%w: record %d out of bounds", errCorrupt, i)
		}
	}
	var prev []byte
	for i := range s.nkey {
		b := s.idx[s.keyBase+i*keyEntrySize:]
		so, sn := uint64(le.Uint32(b)), uint64(le.Uint32(b[4:]))
		ps, pn := uint64(le.Uint32(b[8:])), uint64(le.Uint32(b[12:]))
		if so+sn > nstr || ps+pn > uint64(npost) {
			return fmt.Errorf("%w: key %d out of bounds", errCorrupt, i)
		}
		k := s.str(so, sn)
		if i > 0 && bytes.Compare(k, prev) <= 0 {
			return fmt.Errorf("%w: keys out of order", errCorrupt)
		}
		prev = k
	}
	for i := range npost {
		if le.Uint32(s.idx[s.postBase+i*postEntrySize:]) >= uint32(s.nrec) {
			return fmt.Errorf("%w: posting %d out of bounds", errCorrupt, i)
		}
	}
	return nil
}

// str returns bytes of the strings area.
func (s *sourceFile) str(off, n uint64) []byte {
	return s.idx[s.strBase+int(off) : s.strBase+int(off+n)]
}

// key returns key number i.
func (s *sourceFile) key(i int) []byte {
	b := s.idx[s.keyBase+i*keyEntrySize:]
	le := binary.LittleEndian
	return s.str(uint64(le.Uint32(b)), uint64(le.Uint32(b[4:])))
}

// postings returns the record numbers indexed under key, or nil.
func (s *sourceFile) postings(key string) []uint32 {
	lo, hi := 0, s.nkey
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if string(s.key(m)) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == s.nkey || string(s.key(lo)) != key {
		return nil
	}
	return s.postingsAt(lo)
}

// postingsAt decodes the postings of key number i.
func (s *sourceFile) postingsAt(i int) []uint32 {
	le := binary.LittleEndian
	b := s.idx[s.keyBase+i*keyEntrySize:]
	start, n := int(le.Uint32(b[8:])), int(le.Uint32(b[12:]))
	out := make([]uint32, n)
	for j := range out {
		out[j] = le.Uint32(s.idx[s.postBase+(start+j)*postEntrySize:])
	}
	return out
}

// meta returns the index entry of record i.
func (s *sourceFile) meta(i uint32) recMeta {
	le := binary.LittleEndian
	b := s.idx[int(i)*recEntrySize:]
	return recMeta{
		off:      int64(le.Uint64(b)),
		n:        le.Uint32(b[8:]),
		id:       string(s.str(uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:])))),
		modified: time.Unix(int64(le.Uint64(b[20:])), int64(le.Uint32(b[28:]))).UTC(),
	}
}

// read returns the encoded record i.
func (s *sourceFile) read(i uint32) ([]byte, error) {
	m := s.meta(i)
	b := make([]byte, m.n)
	if _, err := s.f.ReadAt(b, m.off); err != nil {
		return nil, err
	}
	return b, nil
}

// close releases the file.
func (s *sourceFile) close() error { return s.f.Close() }
