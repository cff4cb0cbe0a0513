package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// unmatched labels requests no route pattern claimed.
const unmatched = "unmatched"

// Instrument wraps h, which must route with an http.ServeMux (or pass
// the request on to one unchanged), to time every request by the pattern
// that matched it and the status code answered. ServeMux records the
// pattern in the request it is given; when the handler it picks routes
// again with a mux of its own on the same request (the dashboard), the
// inner pattern wins. Route labels are therefore patterns such as
// "GET /api/v1/executions/{id}", never raw paths, so their number stays
// bounded.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = unmatched
		}
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		m.httpDuration.WithLabelValues(route, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code of a response. Unwrap lets
// http.ResponseController reach the connection beneath (flushes and
// deadlines of streams).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= http.StatusOK {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets handlers that assert http.Flusher stream through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
