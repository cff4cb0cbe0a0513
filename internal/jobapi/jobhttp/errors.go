package jobhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// The error codes of the API's error bodies, {"error": {"code", "message"}}.
const (
	CodeInvalid          = "invalid"                // 400: a malformed or refused request
	CodeUnauthenticated  = "unauthenticated"        // 401: no or unknown token
	CodeForbidden        = "forbidden"              // 403: the token may not do this
	CodeNotFound         = "not_found"              // 404: no such job, artifact or endpoint
	CodeConflict         = "conflict"               // 409: the job's state refuses the request
	CodeTooLarge         = "too_large"              // 413: a body over the limits
	CodeUnsupportedMedia = "unsupported_media_type" // 415: a body of the wrong content type
	CodeInternal         = "internal"               // 500: the server failed
)

// ErrUnauthenticated, wrapped by an error of HandlerOptions.Authorize,
// makes the handler answer 401 (no or unknown token) rather than 403.
var ErrUnauthenticated = errors.New("unauthenticated")

// errorBody is the JSON of an error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// StatusError is an error answer of the job API, as Client returns it. It
// unwraps to pipeline.ErrNotFound for 404 and to pipeline.ErrInvalid for
// the other refusals of a request (400, 401, 403, 409, 413, 415), so
// callers of jobapi.Service see the errors the interface documents.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the body's error code; empty when the body was not the
	// API's (a proxy's page, say).
	Code    string
	Message string
}

// Error says what the server answered.
func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("job API answered %d: %s", e.Status, msg)
}

// Unwrap maps the status to the pipeline's sentinel errors.
func (e *StatusError) Unwrap() error {
	switch {
	case e.Status == http.StatusNotFound:
		return pipeline.ErrNotFound
	case e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests:
		return nil
	case e.Status >= 400 && e.Status < 500:
		return pipeline.ErrInvalid
	}
	return nil
}

// Refused reports whether the server refused the caller's token (401 or
// 403).
func (e *StatusError) Refused() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// retryable reports whether a call that got this answer may succeed when
// made again.
func (e *StatusError) retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

// writeError writes an error response.
func writeError(w http.ResponseWriter, status int, code, message string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	writeJSON(w, status, b)
}

// writeJSON writes v as the JSON body of a response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encode the response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
