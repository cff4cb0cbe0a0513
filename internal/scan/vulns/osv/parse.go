package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
)

// Format is the encoding of a record.
type Format int

// The encodings Parse reads.
const (
	FormatJSON Format = iota + 1
	FormatYAML
)

// DetectFormat tells how a record is encoded: by the name's extension
// (".json", ".yaml", ".yml"), else by the first byte that is not white space
// ('{' means JSON, anything else YAML).
func DetectFormat(name string, data []byte) Format {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return FormatJSON
	case ".yaml", ".yml":
		return FormatYAML
	}
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return FormatJSON
	}
	return FormatYAML
}

// Parse parses one OSV record in JSON or YAML (see DetectFormat) and
// validates it strictly: any problem makes it return nil and an error made of
// FieldErrors that name the file (name, as given) and the field. Errors match
// pipeline.ErrInvalid.
func Parse(name string, data []byte) (*Vulnerability, error) {
	v, _, err := decode(name, data, DetectFormat(name, data), false)
	return v, err
}

// ParseJSON is Parse for a record known to be JSON.
func ParseJSON(name string, data []byte) (*Vulnerability, error) {
	v, _, err := decode(name, data, FormatJSON, false)
	return v, err
}

// ParseYAML is Parse for a record known to be YAML, as the PyPA advisory
// database keeps them. Scalars keep their text: an unquoted 1.10 in a version
// list stays "1.10".
func ParseYAML(name string, data []byte) (*Vulnerability, error) {
	v, _, err := decode(name, data, FormatYAML, false)
	return v, err
}

// ParseLenient parses one record like Parse, but keeps what is sound. A
// problem confined to a part of the record drops that part and becomes a
// warning naming the file and field: a range with a bad type or event, an
// affected entry with a bad package (or with no sound range or version
// left), a malformed severity, reference or credit, an empty alias or
// version, a bad published time. The record returned is valid for Parse. Problems with what identifies
// the record (syntax, id, modified, withdrawn, an unsupported
// schema_version) return a nil record and an error: the caller skips the
// record and logs the error as a warning of its own.
func ParseLenient(name string, data []byte) (*Vulnerability, []*FieldError, error) {
	return decode(name, data, DetectFormat(name, data), true)
}

func decode(name string, data []byte, f Format, lenient bool) (*Vulnerability, []*FieldError, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte order mark is no part of the record
	if f == FormatYAML {
		j, err := yamlToJSON(data)
		if err != nil {
			return nil, nil, &FieldError{File: name, Msg: "invalid YAML: " + err.Error(), Err: err}
		}
		data = j
	}
	var w wireRecord
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, nil, jsonError(name, data, err)
	}
	c := checker{file: name, lenient: lenient}
	v := c.record(&w)
	if err := joinProblems(name, c.fatal); err != nil {
		return nil, c.warnings, err
	}
	return v, c.warnings, nil
}

// wireRecord is a record as decoded, before its timestamps are checked.
type wireRecord struct {
	SchemaVersion    string          `json:"schema_version"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Upstream         []string        `json:"upstream"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severities       []SeverityScore `json:"severity"`
	Affected         []Affected      `json:"affected"`
	References       []Reference     `json:"references"`
	Credits          []Credit        `json:"credits"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

// jsonError turns a decoding error into a FieldError: a syntax error names
// the line and column, a type error the field.
func jsonError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(data, syn.Offset)
		return &FieldError{File: name, Msg: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, syn), Err: err}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field == "" {
			return &FieldError{File: name, Msg: fmt.Sprintf("want a JSON object, got %s", typ.Value), Err: err}
		}
		return &FieldError{File: name, Field: typ.Field, Msg: fmt.Sprintf("want %s, got %s", jsonKind(typ.Type), typ.Value), Err: err}
	}
	return &FieldError{File: name, Msg: "invalid JSON: " + err.Error(), Err: err}
}

// lineCol converts the offset of a json.SyntaxError, which counts the
// offending byte, into the 1-based line and column of that byte.
func lineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off-1, int64(len(data))))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Bool:
		return "boolean"
	default:
		return "number"
	}
}
