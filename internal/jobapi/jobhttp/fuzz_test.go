package jobhttp_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
)

// FuzzExtract feeds Extract arbitrary archives: it never panics, never
// writes beside its directory, and leaves no link that leads out of it.
func FuzzExtract(f *testing.F) {
	f.Add(archive(f, entry{name: "a/b.txt", typ: tar.TypeReg, body: "b"}, entry{name: "l", typ: tar.TypeSymlink, link: "a/b.txt"}))
	f.Add(archive(f, entry{name: "a/", typ: tar.TypeDir, mode: 0o755}, entry{name: "a/up", typ: tar.TypeSymlink, link: ".."}))
	f.Add(archive(f, entry{name: "../x", typ: tar.TypeReg, body: "x"}))
	f.Add(archive(f, entry{name: "l", typ: tar.TypeSymlink, link: "."}, entry{name: "l/f", typ: tar.TypeReg, body: "x"}))
	f.Add(archive(f, entry{name: "d/l", typ: tar.TypeSymlink, link: "../../etc"}))
	f.Add(archive(f, entry{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "dst")
		_ = jobhttp.Extract(context.Background(), bytes.NewReader(data), dst,
			jobhttp.ArchiveLimits{MaxBytes: 1 << 20, MaxEntries: 1000})
		if names := dirNames(t, parent); len(names) > 1 || len(names) == 1 && names[0] != "dst" {
			t.Fatalf("Extract wrote %v beside its directory", names)
		}
		if _, err := os.Stat(dst); err != nil {
			return
		}
		root, err := filepath.EvalSymlinks(dst)
		if err != nil {
			t.Fatal(err)
		}
		_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil // dangling, or a loop: it leads nowhere
			}
			if target != root && !strings.HasPrefix(target, root+string(filepath.Separator)) {
				t.Fatalf("link %s leads out of the tree, to %s", p, target)
			}
			return nil
		})
	})
}

// FuzzHandlerRequest sends arbitrary bodies to every JSON endpoint: the
// handler answers each with a status the API documents and a JSON body,
// never a server error.
func FuzzHandlerRequest(f *testing.F) {
	endpoints := []string{"poll", "acknowledge", "success", "failure"}
	for _, seed := range []struct {
		endpoint uint8
		body     string
	}{
		{0, `{"actionType":"t","maxBatchSize":2}`},
		{0, `{"actionType":"","maxBatchSize":-1}`},
		{1, `{"jobId":"j","nonce":"n"}`},
		{2, `{"jobId":"j","continuationToken":"c","executionDetails":{"summary":"s","percentComplete":50}}`},
		{2, `{"jobId":"j","outputVariables":{"A":"1"}}`},
		{3, `{"jobId":"j","failureDetails":{"type":"JobFailed","message":"m"}}`},
		{0, `{"actionType":"t"} trailing`},
		{2, `[1,2,3]`},
		{3, `null`},
	} {
		f.Add(seed.endpoint, []byte(seed.body))
	}
	m := newTracked(jobapi.MemoryOptions{})
	h := jobhttp.NewHandler(m, jobhttp.HandlerOptions{})
	allowed := map[int]bool{200: true, 400: true, 404: true, 409: true, 413: true}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		// A job to act on, with the id the seeds use.
		ctx := context.Background()
		if _, err := m.Outcome(ctx, "j"); err != nil {
			if _, err := m.Submit(ctx, jobapi.Job{ID: "j", ActionType: "t"}); err != nil {
				t.Fatal(err)
			}
		}
		endpoint := endpoints[int(which)%len(endpoints)]
		req := httptest.NewRequest(http.MethodPost, jobhttp.PathPrefix+endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("POST %s %q = %d %s", endpoint, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q answered a body that is not JSON: %q", endpoint, body, rec.Body)
		}
	})
}
