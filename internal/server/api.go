package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/store"
)

// route is one API endpoint: its method and path (a ServeMux pattern), the
// role it needs ("" for none) and its handler.
type route struct {
	method, path string
	role         store.Role
	handle       func(w http.ResponseWriter, r *http.Request) error
}

// apiRoutes lists every endpoint of the API. docs/openapi.yaml documents
// exactly these (a test checks).
func (s *Server) apiRoutes() []route {
	const v1 = "/api/v1"
	viewer, operator, admin := store.RoleViewer, store.RoleOperator, store.RoleAdmin
	return []route{
		{"GET", "/healthz", "", s.healthz},
		{"GET", "/readyz", "", s.readyz},

		{"GET", v1 + "/pipelines", viewer, s.listPipelines},
		{"POST", v1 + "/pipelines", operator, s.createPipeline},
		{"GET", v1 + "/pipelines/{name}", viewer, s.getPipeline},
		{"PATCH", v1 + "/pipelines/{name}", operator, s.patchPipeline},
		{"DELETE", v1 + "/pipelines/{name}", operator, s.deletePipeline},
		{"POST", v1 + "/pipelines/{name}/executions", operator, s.releasePipeline},

		{"GET", v1 + "/executions", viewer, s.listExecutions},
		{"GET", v1 + "/executions/{id}", viewer, s.getExecution},
		{"POST", v1 + "/executions/{id}/cancel", operator, s.cancelExecution},
		{"POST", v1 + "/executions/{id}/retry", operator, s.retryExecution},
		{"GET", v1 + "/executions/{id}/findings", viewer, s.listFindings},
		{"GET", v1 + "/executions/{id}/artifacts", viewer, s.listArtifacts},
		{"GET", v1 + "/executions/{id}/approvals", viewer, s.listApprovals},
		{"GET", v1 + "/executions/{id}/actions/{stage}/{action}/log", viewer, s.actionLog},
		{"POST", v1 + "/executions/{id}/actions/{stage}/{action}/approve", operator, s.approve},
		{"POST", v1 + "/executions/{id}/actions/{stage}/{action}/reject", operator, s.reject},

		{"GET", v1 + "/images", viewer, s.listImages},
		{"GET", v1 + "/images/{ref...}", viewer, s.inspectImage},
		{"POST", v1 + "/images/{digest}/promote", operator, s.promoteImage},
		{"POST", v1 + "/images/{digest}/revoke", operator, s.revokeImage},

		{"GET", v1 + "/audit", admin, s.listAudit},
		{"GET", v1 + "/tokens", admin, s.listTokens},
		{"POST", v1 + "/tokens", admin, s.createToken},
		{"DELETE", v1 + "/tokens/{name}", admin, s.revokeToken},
	}
}

// routes registers the API on the server's mux.
func (s *Server) routes() {
	for _, rt := range s.apiRoutes() {
		var h http.Handler = s.adapt(rt.handle)
		if rt.role != "" {
			h = s.auth.Require(rt.role, h)
		}
		s.mux.Handle(rt.method+" "+rt.path, h)
	}
	// Unknown API paths answer in JSON, even when a dashboard serves "/".
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		auth.WriteError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}

// apiError is an error with its HTTP status and code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf makes an apiError.
func errorf(status int, code, format string, args ...any) error {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// adapt turns a handler returning an error into an http.Handler that
// writes the error as JSON: ErrNotFound 404, ErrInvalid 400, ErrFetch 502,
// an oversized body 413, an apiError its status, anything else 500
// (logged, not shown).
func (s *Server) adapt(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var ae *apiError
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &ae):
			auth.WriteError(w, ae.status, ae.code, ae.msg)
		case errors.As(err, &tooLarge):
			auth.WriteError(w, http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("the request body exceeds %d bytes", tooLarge.Limit))
		case errors.Is(err, pipeline.ErrNotFound):
			auth.WriteError(w, http.StatusNotFound, "not_found", maskCredentials(err.Error()))
		case errors.Is(err, pipeline.ErrInvalid):
			auth.WriteError(w, http.StatusBadRequest, "invalid", maskCredentials(err.Error()))
		case errors.Is(err, ErrFetch):
			auth.WriteError(w, http.StatusBadGateway, "fetch_failed", maskCredentials(err.Error()))
		case r.Context().Err() != nil:
			// The caller went away; nobody reads an answer.
		default:
			s.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
			auth.WriteError(w, http.StatusInternalServerError, "internal", "internal error")
		}
	})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// decode reads the JSON request body into v: at most MaxBodySize bytes
// (413 beyond), one JSON value, no unknown fields (400 naming the field).
// An empty body leaves v as it is when optional, and is a 400 otherwise.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodySize)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return errorf(http.StatusBadRequest, "invalid", "a JSON request body is required")
	}
	if err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return errorf(http.StatusBadRequest, "invalid", "the request body holds more than one JSON value")
	}
	return nil
}

// decodeError explains a JSON decoding error.
func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, "invalid", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return errorf(http.StatusBadRequest, "invalid", "field %q: want %s, not a JSON %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "invalid", "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errorf(http.StatusBadRequest, "invalid", "malformed JSON: %v", err)
}

// actor names the caller for audit entries and approvals.
func actor(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return p.Name
	}
	return "anonymous"
}

// audit records what the caller did; a failure is logged, since the
// deed is done.
func (s *Server) audit(r *http.Request, action, target, detail string) {
	e := &store.AuditEntry{At: s.now().UTC(), Actor: actor(r), Action: action, Target: target, Detail: detail}
	if err := s.store.AddAudit(r.Context(), e); err != nil {
		s.log.Error("audit", "action", action, "target", target, "err", err)
	}
}

// healthz answers 200 while the process serves.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 once executions were resumed and the dispatcher
// runs, while the store answers; 503 otherwise and during shutdown.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if !s.ready.Load() {
		return errorf(http.StatusServiceUnavailable, "unavailable", "not ready")
	}
	if _, err := s.store.Executions(r.Context(), store.ExecutionFilter{Limit: 1}); err != nil {
		s.log.Warn("readiness: store", "err", err)
		return errorf(http.StatusServiceUnavailable, "unavailable", "the store does not answer")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
