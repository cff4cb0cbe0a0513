// Package actioncfg decodes the configuration map of an action into a
// provider's config struct and answers the questions every provider asks
// of an ActionRequest (which input is primary, what the environment names
// of artifacts are).
package actioncfg

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Decode decodes cfg into v, a pointer to a struct whose json tags name
// the configuration keys. An unknown key or a value of the wrong type is
// an error wrapping pipeline.ErrInvalid that names the key.
func Decode(cfg map[string]any, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode config into %T: want a pointer to a struct", v)
	}
	rv = rv.Elem()
	fields := map[string]int{}
	var known []string
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = i
			known = append(known, name)
		}
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i, ok := fields[k]
		if !ok {
			return fmt.Errorf("%w config: unknown key %q (known: %s)", pipeline.ErrInvalid, k, strings.Join(known, ", "))
		}
		data, err := json.Marshal(cfg[k])
		if err == nil {
			err = json.Unmarshal(data, rv.Field(i).Addr().Interface())
		}
		if err != nil {
			return fmt.Errorf("%w config: %s: %s", pipeline.ErrInvalid, k, explain(err))
		}
	}
	return nil
}

// explain turns a JSON decoding error into words for a configuration
// author.
func explain(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("want %s, not %s", describeType(typeErr.Type.String()), typeErr.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// describeType names a Go type the way a configuration author thinks of it.
func describeType(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return t
}

// Strings is a list of strings that may also be written as one string.
type Strings []string

// UnmarshalJSON accepts a string or a list of strings.
func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*s = list
	return nil
}

// Text is a string that may also be written as a number or boolean, as
// environment variable values often are in YAML.
type Text string

// UnmarshalJSON accepts a string, a number or a boolean.
func (t *Text) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		*t = Text(v)
	case float64, bool:
		*t = Text(strings.TrimSpace(string(b)))
	default:
		return errors.New("want a string, number or boolean")
	}
	return nil
}

// Duration is a duration written as a Go duration string ("30s", "2m") or
// as a number of seconds.
type Duration time.Duration

// UnmarshalJSON accepts "30s" or 30.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			return d.setSeconds(secs)
		}
		p, err := time.ParseDuration(v)
		if err != nil || p < 0 {
			return fmt.Errorf("want a duration like \"30s\", not %q", v)
		}
		*d = Duration(p)
	case float64:
		return d.setSeconds(v)
	default:
		return errors.New("want a duration like \"30s\" or a number of seconds")
	}
	return nil
}

func (d *Duration) setSeconds(s float64) error {
	if s < 0 || math.IsNaN(s) || s > float64(math.MaxInt64/int64(time.Second)) {
		return fmt.Errorf("want a duration of 0 or more seconds, not %v", s)
	}
	*d = Duration(s * float64(time.Second))
	return nil
}
