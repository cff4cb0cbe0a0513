package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestSafeNext(t *testing.T) {
	tests := []struct {
		next string
		want string
	}{
		{next: "/executions/20261128-1?status=failed", want: "/executions/20261128-1?status=failed"},
		{next: "/", want: "/"},
		{next: "", want: "/pipelines"},
		{next: "https://evil.example/", want: "/pipelines"},
		{next: "//evil.example/", want: "/pipelines"},
		{next: "/\\evil.example", want: "/pipelines"},
		{next: "/%2F/evil.example", want: "/pipelines"},
		{next: "javascript:alert(1)", want: "/pipelines"},
		{next: "/ok\r\nSet-Cookie: x=y", want: "/pipelines"},
		{next: "pipelines", want: "/pipelines"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

// FuzzSafeNext checks that the login redirect never leaves the site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/executions?x=1", "//evil", "/\\evil", "https://x", "/%2f%2fevil", "/a/../b",
		"/\t/evil", "/%5cevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("safeNext(%q) = %q: not a path on this site", next, got)
		}
		// A browser resolves the redirect against the site; it must stay there.
		base, _ := url.Parse("https://dashboard.example/login")
		if r := base.ResolveReference(u); r.Host != "dashboard.example" {
			t.Fatalf("safeNext(%q) = %q resolves to host %q", next, got, r.Host)
		}
	})
}

// FuzzQueries feeds arbitrary query strings to the parsers of the list
// pages' filters, the project findings filter, the digests of download
// URLs and the stream offset: they never panic, and refuse with errors
// wrapping pipeline.ErrInvalid.
func FuzzQueries(f *testing.F) {
	for _, s := range []string{"status=failed&pipeline=demo&limit=5", "status=bogus", "limit=-1", "before=9",
		"kind=secret&severity=HIGH", "kind=x", "severity=", "offset=12", "offset=-3", "target=x&before=abc",
		"%zz", "pipeline=api&kind=vuln&severity=critical&status=all", "status=Suppressed", "status=closed",
		"digest=sha256:" + strings.Repeat("ab", 32), "digest=sha256:AB", "digest=sha256:../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		check := func(what string, err error) {
			if err != nil && !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("%s(%q) = %v, want nil or ErrInvalid", what, raw, err)
			}
		}
		eq, err := executionQuery(q)
		check("executionQuery", err)
		if err == nil && (eq.Limit <= 0 || eq.Limit > maxListLimit || eq.Before < 0) {
			t.Fatalf("executionQuery(%q) = %+v: out of bounds", raw, eq)
		}
		ff, err := parseFindingFilter(q)
		check("parseFindingFilter", err)
		if err == nil && ff.Severity != "" {
			if _, err := pipeline.ParseSeverity(ff.Severity); err != nil {
				t.Fatalf("parseFindingFilter(%q) severity %q: %v", raw, ff.Severity, err)
			}
		}
		af, err := auditFilter(q)
		check("auditFilter", err)
		if err == nil && (af.Limit != auditPageSize || af.BeforeSeq < 0) {
			t.Fatalf("auditFilter(%q) = %+v", raw, af)
		}
		pq, err := parseProjectQuery(q)
		check("parseProjectQuery", err)
		if err == nil {
			if pq.Status != findingOpen && pq.Status != findingSuppressed && pq.Status != findingAny {
				t.Fatalf("parseProjectQuery(%q) status %q", raw, pq.Status)
			}
			if len(pq.Pipeline) > maxPipelineName {
				t.Fatalf("parseProjectQuery(%q) pipeline of %d bytes", raw, len(pq.Pipeline))
			}
			if u, err := url.Parse(pq.url(pq.Severity)); err != nil || u.Path != "/findings" || u.Host != "" {
				t.Fatalf("parseProjectQuery(%q).url = %q: not the findings page", raw, pq.url(pq.Severity))
			}
		}
		if dg, err := parseDigest("image", q.Get("digest")); err == nil {
			if !strings.HasPrefix(dg, "sha256:") || len(dg) != 71 || strings.ContainsAny(dg, "/.\\") {
				t.Fatalf("parseDigest(%q) = %q", q.Get("digest"), dg)
			}
		} else {
			check("parseDigest", err)
		}
		r := &http.Request{URL: &url.URL{RawQuery: raw}, Header: http.Header{"Last-Event-Id": q["offset"]}}
		off, err := streamOffset(r)
		check("streamOffset", err)
		if off < 0 {
			t.Fatalf("streamOffset(%q) = %d", raw, off)
		}
	})
}

func TestCompleteUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{in: "", want: 0},
		{in: "abc", want: 3},
		{in: "ab\xc3", want: 2},        // é cut after its first byte
		{in: "ab\xc3\xa9", want: 4},    // é whole
		{in: "a\xe2\x82", want: 1},     // € cut
		{in: "a\xf0\x9f\x98", want: 1}, // emoji cut after 3 of 4 bytes
		{in: "a\xf0\x9f\x98\x80", want: 5},
		{in: "a\xff", want: 2}, // invalid, not cut: sent as is
	}
	for _, tt := range tests {
		if got := completeUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("completeUTF8(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzCompleteUTF8 checks that a log chunk never ends in a cut character
// of valid UTF-8 and that at most one character's bytes are held back.
func FuzzCompleteUTF8(f *testing.F) {
	for _, s := range []string{"abc", "héllo", "€", "😀x", "\xf0\x9f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := completeUTF8(b)
		if n < 0 || n > len(b) || len(b)-n >= utf8.UTFMax {
			t.Fatalf("completeUTF8(%q) = %d", b, n)
		}
		if utf8.Valid(b) && !utf8.Valid(b[:n]) {
			t.Fatalf("completeUTF8(%q) = %d: cuts a character", b, n)
		}
	})
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "–"},
		{850 * time.Millisecond, "850ms"},
		{12300 * time.Millisecond, "12.3s"},
		{3*time.Minute + 4*time.Second, "3m04s"},
		{2*time.Hour + 5*time.Minute, "2h05m"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{12 << 20, "12.0 MiB"},
		{3 << 30, "3.0 GiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestDownloadName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"20261129-1-SourceArtifact", "20261129-1-SourceArtifact"},
		{`a"b\r\nc`, "a_b_r_nc"},
		{"../..", "artifact"},
		{"build output/é", "build_output"},
	}
	for _, tt := range tests {
		if got := downloadName(tt.in); got != tt.want {
			t.Errorf("downloadName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewRequiresConfig(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("New(Config{}) = %v, want ErrInvalid", err)
	}
}
