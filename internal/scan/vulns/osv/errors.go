package osv

import (
	"errors"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// FieldError is one problem in one record: the file it came from, the field
// (a path such as "affected[2].ranges[0].events[1]", empty for the record as a
// whole) and what is wrong. It matches pipeline.ErrInvalid with errors.Is, and
// unwraps to its cause when there is one (a CVSS or timestamp error).
//
// Strict parsing returns FieldErrors as errors; lenient parsing returns the
// ones it could recover from as warnings.
type FieldError struct {
	File  string
	Field string
	Msg   string
	Err   error
}

// Error renders "file: field: message", leaving out the parts that are empty.
func (e *FieldError) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.File != "" {
		s = e.File + ": " + s
	}
	return s
}

// Unwrap returns pipeline.ErrInvalid and the cause, if any.
func (e *FieldError) Unwrap() []error {
	if e.Err == nil {
		return []error{pipeline.ErrInvalid}
	}
	return []error{pipeline.ErrInvalid, e.Err}
}

// maxJoined caps how many problems one strict error lists, so that a record
// with thousands of bad events still yields a readable message.
const maxJoined = 10

// joinProblems turns problems into one error: the single FieldError when there
// is one, else their errors.Join (at most maxJoined, then a count of the rest).
// It returns nil for no problems.
func joinProblems(file string, ps []*FieldError) error {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	n := min(len(ps), maxJoined)
	errs := make([]error, 0, n+1)
	for _, p := range ps[:n] {
		errs = append(errs, p)
	}
	if len(ps) > n {
		errs = append(errs, &FieldError{File: file, Msg: fmt.Sprintf("and %d more problems", len(ps)-n)})
	}
	return errors.Join(errs...)
}
