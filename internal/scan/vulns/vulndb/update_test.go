package vulndb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
)

// fakeOSV serves one all.zip with validators, or a failure.
type fakeOSV struct {
	mu      sync.Mutex
	body    []byte
	etag    string
	lastMod string
	// fail is "", "status", "truncate", "chunked" (no Content-Length)
	// or "corrupt".
	fail string
	reqs []http.Header
	uris []string
}

func (f *fakeOSV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r.Header.Clone())
	f.uris = append(f.uris, r.RequestURI)
	switch f.fail {
	case "status":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "truncate":
		w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
		w.Write(f.body[:len(f.body)/2])
		return
	case "chunked":
		w.(http.Flusher).Flush()
		w.Write(f.body)
		return
	case "corrupt":
		w.Write([]byte("<html>not a zip</html>"))
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Last-Modified", f.lastMod)
	w.Write(f.body)
}

// set changes what the server serves.
func (f *fakeOSV) set(t *testing.T, etag, fail string, members ...member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if members != nil {
		f.body = zipBytes(t, members)
	}
	f.etag, f.fail = etag, fail
	f.lastMod = "Mon, 02 Jan 2026 03:04:05 GMT"
}

func (f *fakeOSV) last() http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func goRecords(ids ...string) []member {
	var ms []member
	for _, id := range ids {
		ms = append(ms, member{name: id + ".json", data: rec(id, t1, []pkg{{"Go", "example.com/m"}}, "")})
	}
	return ms
}

func TestUpdateHTTP(t *testing.T) {
	srv := &fakeOSV{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir, clk := t.TempDir(), newClock()
	ctx := context.Background()
	src := ts.URL + "/Go/all.zip"
	opts := UpdateOptions{Sources: []string{src}, Client: ts.Client(), Now: clk.now}
	goPkg := match.Package{Ecosystem: "Go", Name: "example.com/m"}

	srv.set(t, `"v1"`, "", goRecords("GO-1", "GO-2")...)
	m1, err := Update(ctx, dir, opts)
	if err != nil {
		t.Fatalf("first Update = %v", err)
	}
	s := m1.Sources[0]
	if s.Name != src || s.Kind != KindURL || s.ETag != `"v1"` || s.LastModified == "" || s.Records != 2 || s.ImportedAt != s.CheckedAt {
		t.Errorf("first Update source = %+v", s)
	}
	if ua := srv.last().Get("User-Agent"); ua != "secpipe" {
		t.Errorf("User-Agent = %q, want secpipe", ua)
	}

	m2, err := Update(ctx, dir, opts)
	if err != nil {
		t.Fatalf("second Update = %v", err)
	}
	h := srv.last()
	if h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != s.LastModified {
		t.Errorf("second request validators = %q, %q; want %q, %q", h.Get("If-None-Match"), h.Get("If-Modified-Since"), `"v1"`, s.LastModified)
	}
	s2 := m2.Sources[0]
	if m2.Generation != m1.Generation || !s2.CheckedAt.After(s.CheckedAt) || s2.ImportedAt != s.ImportedAt {
		t.Errorf("after 304: generation %s (was %s), checked %v (was %v), imported %v (was %v)",
			m2.Generation, m1.Generation, s2.CheckedAt, s.CheckedAt, s2.ImportedAt, s.ImportedAt)
	}
	if got := mustOpen(t, dir).Manifest(); !got.Sources[0].CheckedAt.Equal(s2.CheckedAt) {
		t.Errorf("stored check time %v, want %v", got.Sources[0].CheckedAt, s2.CheckedAt)
	}

	srv.set(t, `"v2"`, "", goRecords("GO-1", "GO-2")...) // new validator, same bytes
	m3, err := Update(ctx, dir, UpdateOptions{Client: ts.Client(), Now: clk.now})
	if err != nil || m3.Generation != m1.Generation || m3.Sources[0].ETag != `"v2"` {
		t.Errorf("same content, new ETag: generation %s (want %s), ETag %s, %v", m3.Generation, m1.Generation, m3.Sources[0].ETag, err)
	}

	srv.set(t, `"v3"`, "", goRecords("GO-1", "GO-2", "GO-3")...)
	m4, err := Update(ctx, dir, UpdateOptions{Client: ts.Client(), Now: clk.now})
	if err != nil || m4.Generation == m1.Generation || m4.Sources[0].Records != 3 {
		t.Fatalf("changed archive: generation %s (was %s), %d records, %v", m4.Generation, m1.Generation, m4.Sources[0].Records, err)
	}
	if diff := cmp.Diff([]string{"GO-1", "GO-2", "GO-3"}, lookupIDs(t, mustOpen(t, dir), goPkg)); diff != "" {
		t.Errorf("after the change (-want +got):\n%s", diff)
	}

}

func TestUpdateHTTPFailureKeepsDatabase(t *testing.T) {
	srv := &fakeOSV{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir, clk := t.TempDir(), newClock()
	ctx := context.Background()
	goPkg := match.Package{Ecosystem: "Go", Name: "example.com/m"}
	srv.set(t, `"v1"`, "", goRecords("GO-1")...)
	if _, err := Update(ctx, dir, UpdateOptions{Sources: []string{ts.URL + "/all.zip"}, Client: ts.Client(), Now: clk.now}); err != nil {
		t.Fatalf("first Update = %v", err)
	}
	failures := []struct {
		name, fail string
		max        int64
	}{
		{name: "server error", fail: "status"},
		{name: "truncated body", fail: "truncate"},
		{name: "corrupt archive", fail: "corrupt"},
		{name: "too large", max: 100},
		{name: "too large without length", fail: "chunked", max: 100},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			before := takeSnapshot(t, dir, []match.Package{goPkg})
			srv.set(t, `"v4"`, tt.fail, goRecords("GO-9")...)
			_, err := Update(ctx, dir, UpdateOptions{Client: ts.Client(), Now: clk.now, MaxSize: tt.max})
			if err == nil {
				t.Fatal("Update succeeded, want an error")
			}
			t.Logf("Update = %v", err)
			if diff := cmp.Diff(before, takeSnapshot(t, dir, []match.Package{goPkg})); diff != "" {
				t.Errorf("database changed by a failed update (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateWithoutSource(t *testing.T) {
	dir := t.TempDir()
	mustImport(t, dir, writeZip(t, t.TempDir(), "all.zip", goRecords("GO-1")))
	_, err := Update(context.Background(), dir, UpdateOptions{})
	if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "pass --source or --ecosystem") {
		t.Errorf("Update(no source) = %v, want ErrInvalid saying to pass --source or --ecosystem", err)
	}
}

func TestUpdateEcosystemURLs(t *testing.T) {
	srv := &fakeOSV{}
	srv.set(t, `"e"`, "", goRecords("GO-1")...)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	m, err := Update(context.Background(), dir, UpdateOptions{
		Ecosystems: []string{"Debian:12", "Go", "Go"}, BaseURL: ts.URL + "/", Client: ts.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/Debian:12/all.zip", "/Go/all.zip"}
	if diff := cmp.Diff(want, srv.uris); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if len(m.Sources) != 2 || m.Sources[0].Name != ts.URL+"/Debian:12/all.zip" {
		t.Errorf("sources = %+v", m.Sources)
	}
}

func TestUpdateFileMirror(t *testing.T) {
	dir, mirror, clk := t.TempDir(), t.TempDir(), newClock()
	path := writeZip(t, mirror, "all.zip", goRecords("GO-1"))
	fileURL := (&url.URL{Scheme: "file", Path: path}).String()
	ctx := context.Background()
	imported := mustImport(t, dir, writeFile(t, t.TempDir(), "X-1.json", []byte(rec("X-1", t1, []pkg{{"npm", "x"}}, ""))))

	m1, err := Update(ctx, dir, UpdateOptions{Sources: []string{path}, Now: clk.now})
	if err != nil {
		t.Fatalf("Update(plain path) = %v", err)
	}
	if s, ok := m1.Source(fileURL); !ok || s.Kind != KindURL || s.Records != 1 || len(m1.Sources) != 2 {
		t.Fatalf("Update(plain path) sources = %+v, want %s beside the imported source", m1.Sources, fileURL)
	}
	m2, err := Update(ctx, dir, UpdateOptions{Sources: []string{fileURL}, Now: clk.now})
	if err != nil || m2.Generation != m1.Generation {
		t.Errorf("unchanged mirror: generation %s, want %s (%v)", m2.Generation, m1.Generation, err)
	}
	writeZip(t, mirror, "all.zip", goRecords("GO-1", "GO-2"))
	m3, err := Update(ctx, dir, UpdateOptions{Now: clk.now})
	if err != nil || m3.Generation == m2.Generation {
		t.Fatalf("changed mirror: generation %s (was %s), %v", m3.Generation, m2.Generation, err)
	}
	if s, _ := m3.Source(fileURL); s.Records != 2 {
		t.Errorf("changed mirror: %d records, want 2", s.Records)
	}
	if s, _ := m3.Source(imported.Sources[0].Name); s.ImportedAt != imported.Sources[0].ImportedAt {
		t.Errorf("the imported source changed: %+v", s)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, dir, UpdateOptions{}); err == nil {
		t.Error("Update of a vanished mirror succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), downloadPrefix) || e.Name() != m3.Generation && strings.HasPrefix(e.Name(), genPrefix) {
			t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}
