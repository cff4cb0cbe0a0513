package artifact

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestOpenBlob(t *testing.T) {
	s := newStore(t)
	digest, err := s.Put(t.Context(), writeTree(t, sampleTree()))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.List(digest)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, f := range sampleTree() {
		want[f.path] = f.data
	}
	read := 0
	for _, e := range entries {
		if e.Digest == "" {
			continue
		}
		rc, err := s.OpenBlob(e.Digest)
		if err != nil {
			t.Fatalf("OpenBlob(%s of %s) = %v", e.Digest, e.Path, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[e.Path]; ok && string(b) != w {
			t.Errorf("OpenBlob of %s = %q, want %q", e.Path, b, w)
		}
		read++
	}
	if read == 0 {
		t.Fatal("the sample tree has no regular file")
	}
	for _, tt := range []struct {
		digest string
		want   error
	}{
		{digest: digestPrefix + strings.Repeat("cd", 32), want: pipeline.ErrNotFound},
		{digest: "sha256:../../etc/passwd", want: pipeline.ErrInvalid},
		{digest: "", want: pipeline.ErrInvalid},
	} {
		if _, err := s.OpenBlob(tt.digest); !errors.Is(err, tt.want) {
			t.Errorf("OpenBlob(%q) = %v, want %v", tt.digest, err, tt.want)
		}
	}
}
