package artifact

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// FuzzDecodeManifest checks that decoding never panics, that every error
// wraps pipeline.ErrInvalid, and that what decodes re-encodes canonically:
// decoding the encoding gives the same entries, and encoding is stable.
func FuzzDecodeManifest(f *testing.F) {
	blob := digestPrefix + sha256Hex([]byte("x"))
	seeds := []string{
		`{"version":1,"entries":[]}`,
		`{"version":1,"entries":[{"path":"a","type":"dir","mode":"0755"},{"path":"a/b","type":"file","mode":"0644","size":1,"digest":"` + blob + `"},{"path":"l","type":"symlink","link":"a/b"}]}`,
		`{"version":1,"entries":[{"path":"../x","type":"file","mode":"0644","size":1,"digest":"` + blob + `"}]}`,
		`{"version":1,"entries":[{"path":"b","type":"dir","mode":"0755"},{"path":"a","type":"dir","mode":"0755"}]}`,
		`{"version":1,"entries":[{"path":"l","type":"symlink","link":"/"},{"path":"l/x","type":"dir","mode":"0755"}]}`,
		`{"version":2,"entries":[]}`,
		`{"version":1,"entries":[{"path":"a","type":"fifo"}]}`,
		`{"version":1,"entries":[{"path":"a","type":"file","mode":"7777","size":-1,"digest":"sha256:"}]}`,
		`{"version":1}{"version":1}`,
		`[]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeManifest(data)
		if err != nil {
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("decodeManifest() error = %v, want ErrInvalid", err)
			}
			return
		}
		enc, err := encodeManifest(entries)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeManifest(enc)
		if err != nil {
			t.Fatalf("decodeManifest(encodeManifest(%q)) error = %v", data, err)
		}
		if diff := cmp.Diff(entries, again); diff != "" {
			t.Fatalf("entries changed through an encoding round trip (-first +again):\n%s", diff)
		}
		enc2, err := encodeManifest(again)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %q then %q (%v)", enc, enc2, err)
		}
	})
}
