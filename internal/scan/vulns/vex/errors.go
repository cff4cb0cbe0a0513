package vex

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// FieldError is one problem in a document: the file it came from, the JSON
// field path (such as "statements[2].status"; empty for the document as a
// whole) and what is wrong. It matches pipeline.ErrInvalid with errors.Is.
type FieldError struct {
	File  string
	Field string
	Msg   string
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

// Unwrap returns pipeline.ErrInvalid.
func (e *FieldError) Unwrap() error { return pipeline.ErrInvalid }

// maxJoined caps how many problems one error lists, so that a document with
// thousands of bad statements still yields a readable message.
const maxJoined = 10

// problems collects the FieldErrors of one document.
type problems struct {
	file string
	list []*FieldError
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, &FieldError{File: p.file, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// addJSON records a decoding error of the JSON value at field; data is the
// value's text, used to place syntax errors.
func (p *problems) addJSON(field string, data []byte, err error) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset-1) // Offset is just past the bad byte
		p.add(field, "invalid JSON at line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		p.add(joinField(field, typ.Field), "got %s, want %s", typ.Value, kindName(typ.Type))
	default:
		p.add(field, "invalid JSON: %v", err)
	}
}

// err returns nil, the single problem, or the first maxJoined problems
// joined with a count of the rest.
func (p *problems) err() error {
	switch len(p.list) {
	case 0:
		return nil
	case 1:
		return p.list[0]
	}
	n := min(len(p.list), maxJoined)
	errs := make([]error, 0, n+1)
	for _, e := range p.list[:n] {
		errs = append(errs, e)
	}
	if len(p.list) > n {
		errs = append(errs, &FieldError{File: p.file, Msg: fmt.Sprintf("and %d more problems", len(p.list)-n)})
	}
	return errors.Join(errs...)
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	return line, col
}

// kindName describes what a Go type expects in JSON terms.
func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	}
	return t.String()
}
