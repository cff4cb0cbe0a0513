package intel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// feedServer serves a mutable feed, honouring If-None-Match.
type feedServer struct {
	mu     sync.Mutex
	status int
	body   string
	etag   string
	gotINM []string
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gotINM = append(f.gotINM, r.Header.Get("If-None-Match"))
	if f.status != http.StatusOK {
		w.WriteHeader(f.status)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Last-Modified", "Sat, 28 Nov 2026 10:00:00 GMT")
	w.Write([]byte(f.body))
}

func (f *feedServer) set(status int, body, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body, f.etag = status, body, etag
}

func TestUpdate(t *testing.T) {
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	opts := UpdateOptions{Sources: []string{srv.URL + "/feed.txt"}, Client: srv.Client(), Now: func() time.Time { return now }}
	ctx := context.Background()

	steps := []struct {
		name      string
		status    int
		body      string
		etag      string
		wantErr   string
		wantINM   string
		wantEntry string // a domain that must match after the step
		gone      string // a domain that must not match after the step
		changed   bool
	}{
		{name: "200", status: 200, body: "evil.example\n10.0.0.0/8\n", etag: `"v1"`, wantEntry: "evil.example", changed: true},
		{name: "304", status: 200, body: "ignored.example\n", etag: `"v1"`, wantINM: `"v1"`, wantEntry: "evil.example", gone: "ignored.example"},
		{name: "500 keeps copy", status: 500, wantErr: "unexpected status 500", wantINM: `"v1"`, wantEntry: "evil.example"},
		{name: "bad content keeps copy", status: 200, body: "evil.example\nnot valid\n", etag: `"v2"`, wantErr: "feed.txt:2: more than one field", wantINM: `"v1"`, wantEntry: "evil.example"},
		{name: "new version", status: 200, body: "worse.example\n", etag: `"v3"`, wantINM: `"v1"`, wantEntry: "worse.example", gone: "evil.example", changed: true},
	}
	for _, st := range steps {
		now = now.Add(time.Hour)
		fs.set(st.status, st.body, st.etag)
		m, err := Update(ctx, dir, opts)
		if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
			t.Fatalf("%s: Update error = %v, want %q", st.name, err, st.wantErr)
		}
		if got := fs.gotINM[len(fs.gotINM)-1]; got != st.wantINM {
			t.Errorf("%s: If-None-Match = %q, want %q", st.name, got, st.wantINM)
		}
		if len(m.Feeds) != 1 {
			t.Fatalf("%s: manifest has %d feeds, want 1", st.name, len(m.Feeds))
		}
		f := m.Feeds[0]
		if (f.Error != "") != (st.wantErr != "") {
			t.Errorf("%s: feed error = %q", st.name, f.Error)
		}
		if st.changed && !f.Changed.Equal(now) {
			t.Errorf("%s: Changed = %v, want %v", st.name, f.Changed, now)
		}
		lists, m2, err := Cached(dir)
		if err != nil || len(lists) != 1 || len(m2.Feeds) != 1 {
			t.Fatalf("%s: Cached = %d lists, %d feeds, %v", st.name, len(lists), len(m2.Feeds), err)
		}
		s := NewSet(lists, nil)
		if m, ok := s.Domain(st.wantEntry); !ok || m.List != opts.Sources[0] || m.Category != CategoryCustom {
			t.Errorf("%s: Domain(%s) = %+v, %v", st.name, st.wantEntry, m, ok)
		}
		if st.gone != "" {
			if _, ok := s.Domain(st.gone); ok {
				t.Errorf("%s: Domain(%s) matched", st.name, st.gone)
			}
		}
	}
	// No leftover temporary files.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("cache dir holds %d files, want 2 (manifest + feed)", len(ents))
	}
}

func TestUpdateLocalAndRefreshAll(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "local.txt")
	if err := os.WriteFile(src, []byte("a.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := Update(ctx, dir, UpdateOptions{Sources: []string{src, "file://" + src}}); err != nil {
		t.Fatalf("Update(local) error = %v", err)
	}
	if err := os.WriteFile(src, []byte("b.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Update(ctx, dir, UpdateOptions{}) // refresh every known feed
	if err != nil || len(m.Feeds) != 2 {
		t.Fatalf("Update(refresh) = %d feeds, %v", len(m.Feeds), err)
	}
	lists, _, err := Cached(dir)
	if err != nil || len(lists) != 2 {
		t.Fatalf("Cached = %d lists, %v", len(lists), err)
	}
	if _, ok := NewSet(lists, nil).Domain("b.example"); !ok {
		t.Errorf("refreshed feed not loaded")
	}
	_, err = Update(ctx, dir, UpdateOptions{Sources: []string{filepath.Join(dir, "missing.txt"), "ftp://x/y"}})
	if err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Errorf("Update(missing, ftp) error = %v", err)
	}
	lists, m, err = Cached(dir)
	if err != nil || len(lists) != 2 || len(m.Feeds) != 4 {
		t.Errorf("Cached after failures = %d lists, %d feeds, %v; want 2, 4", len(lists), len(m.Feeds), err)
	}
}

func TestCachedEmptyAndDefaultDir(t *testing.T) {
	lists, m, err := Cached(filepath.Join(t.TempDir(), "none"))
	if err != nil || lists != nil || len(m.Feeds) != 0 {
		t.Errorf("Cached(empty) = %v, %v, %v", lists, m, err)
	}
	t.Setenv("SECPIPE_THREAT_DIR", "/x/y")
	if d, err := DefaultDir(); d != "/x/y" || err != nil {
		t.Errorf("DefaultDir() = %q, %v; want /x/y", d, err)
	}
	t.Setenv("SECPIPE_THREAT_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if d, err := DefaultDir(); err == nil && d != filepath.Join("/cache", "secpipe", "threat-lists") {
		t.Errorf("DefaultDir() = %q", d)
	}
}
