package osv

import (
	"bytes"
	"encoding/json"

	"github.com/google/go-cmp/cmp"
)

// diffRecords compares two records, reading the free-form JSON objects by
// value rather than by bytes (re-encoding compacts and escapes them).
func diffRecords(a, b *Vulnerability) string {
	return cmp.Diff(a, b, cmp.Transformer("decodeJSON", func(m json.RawMessage) any {
		var v any
		d := json.NewDecoder(bytes.NewReader(m))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return string(m)
		}
		return v
	}))
}
