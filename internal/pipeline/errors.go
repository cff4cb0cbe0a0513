package pipeline

import "errors"

// Sentinel errors shared by every layer. Wrap them with context; the edges
// (CLI, HTTP API) map them to exit codes and status codes.
var (
	// ErrNotFound reports that a named thing (pipeline, execution, file) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid reports input that breaks a documented rule: a bad flag, file or field.
	ErrInvalid = errors.New("invalid")
)
