package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/server/metrics"
)

func TestInstrument(t *testing.T) {
	// An API beside a dashboard with a mux of its own, as the server
	// mounts them.
	dash := http.NewServeMux()
	dash.HandleFunc("GET /executions/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page of "+r.PathValue("id"))
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/executions/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.Error(w, "no such execution", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /api/v1/stream", func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through the instrumented writer = %v", err)
		}
		io.WriteString(w, "data: x\n\n")
	})
	mux.Handle("/", dash)
	m := metrics.New(metrics.Config{})
	srv := httptest.NewServer(m.Instrument(mux))
	defer srv.Close()

	for _, path := range []string{"/api/v1/executions/a", "/api/v1/executions/b", "/api/v1/executions/missing",
		"/executions/c", "/api/v1/stream"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := http.Post(srv.URL+"/executions/c", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := map[string]float64{}
	for k, v := range scrape(t, m.Handler()) {
		if strings.HasPrefix(k, "secpipe_http_request_duration_seconds_count") {
			got[strings.TrimPrefix(k, "secpipe_http_request_duration_seconds_count")] = v
		}
	}
	want := map[string]float64{
		`{code="200",route="GET /api/v1/executions/{id}"}`: 2,
		`{code="404",route="GET /api/v1/executions/{id}"}`: 1,
		`{code="200",route="GET /executions/{id}"}`:        1,
		`{code="200",route="GET /api/v1/stream"}`:          1,
		// No pattern of the dashboard's mux takes a POST there: it
		// answers 405 and clears the pattern the outer mux had set.
		`{code="405",route="unmatched"}`: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request counts by route and code (-want +got):\n%s", diff)
	}
}
