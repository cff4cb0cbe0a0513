package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// cleaner is a querier that makes every string argument storable:
// PostgreSQL's text rejects NUL characters and invalid UTF-8 (SQLite keeps
// them), and jsonb rejects the escape \u0000. Both become U+FFFD, so that
// a provider's binary output in a message cannot make a state change fail.
type cleaner struct{ q querier }

func (c cleaner) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, query, cleanArgs(args)...)
}

func (c cleaner) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, query, cleanArgs(args)...)
}

func (c cleaner) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, query, cleanArgs(args)...)
}

func cleanArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = cleanText(v)
		case jsonText:
			args[i] = cleanJSON(string(v))
		}
	}
	return args
}

// cleanText replaces NUL characters and invalid UTF-8 with U+FFFD.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cleanJSON replaces the escape \u0000 in JSON text with \ufffd. It walks
// the escapes, so that an escaped backslash followed by "u0000" is kept.
func cleanJSON(s string) string {
	if !strings.Contains(s, `\u0000`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if strings.HasPrefix(s[i:], `\u0000`) {
			b.WriteString(`\ufffd`)
			i += len(`\u0000`) - 1
			continue
		}
		b.WriteString(s[i : i+2])
		i++
	}
	return b.String()
}

// jsonText is JSON for a json or jsonb column.
type jsonText string

// encode marshals v as JSON for a column.
func encode(v any) (jsonText, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return jsonText(b), nil
}

// decode unmarshals a JSON column into v; an empty column leaves v alone.
func decode(s string, v any) error {
	if s == "" || s == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// nonNilMap keeps JSON columns as objects rather than null.
func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// nonNilSlice keeps JSON columns as arrays rather than null.
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nilIfEmpty makes empty collections read back as nil, so a stored and
// reloaded record compares equal to one that never had them.
func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// nilIfEmptyMap is nilIfEmpty for maps.
func nilIfEmptyMap[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

// ts stores a time as timestamptz, NULL for the zero time. PostgreSQL keeps
// microseconds.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// fromTS reverses ts, in UTC.
func fromTS(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// args numbers the parameters of a query built piece by piece.
type args []any

// add appends v and returns its placeholder ($1, $2, ...).
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// list appends vs and returns their placeholders, comma-separated.
func list[T any](a *args, vs []T) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = a.add(v)
	}
	return strings.Join(ps, ", ")
}

// strs converts a list of string-based values to plain strings.
func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// placeholders returns "$1, $2, ..., $n".
func placeholders(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(ps, ", ")
}

// checkAffected turns "no row changed" into ErrNotFound.
func checkAffected(res sql.Result, op, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", op, what, pipeline.ErrNotFound)
	}
	return nil
}

// created checks the result of an INSERT ... ON CONFLICT DO NOTHING: no
// row means a duplicate, reported as ErrInvalid. The conflict does not
// abort the transaction, as a failed INSERT would.
func created(res sql.Result, err error, what, dup string) error {
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("create %s: %w: duplicate %s", what, pipeline.ErrInvalid, dup)
	}
	return nil
}

// notFound maps sql.ErrNoRows to pipeline.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, pipeline.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect scans every row of a query with scan.
func collect[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error),
	query string, args ...any,
) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
