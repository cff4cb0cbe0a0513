// Package auth authenticates the server's API callers with bearer tokens
// and says what each may do.
//
// A token reads spt_<id>_<secret>: id is 8 hex digits naming the token,
// secret 32 random bytes in unpadded base64url. The store keeps only the
// SHA-256 of the secret (hex), so a leaked database reveals no usable
// token; a request's token is found by the hash of its secret, and its id
// is compared in constant time. Roles order what a token may do: viewer <
// operator < admin (each may do what the ones before it may); a worker
// token may call only the job API, for its action types.
//
// Middleware puts the caller's Principal in the request context, where
// handlers of other packages (job API, dashboard) read it with
// FromContext.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Prefix starts every token.
const Prefix = "spt_"

const (
	idLen     = 8  // hex digits of a token id
	secretLen = 32 // random bytes of a token secret
)

var (
	namePattern       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
	actionTypePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/@-]{0,127}$`)
)

// ParseRole reads a role name; an unknown one wraps pipeline.ErrInvalid.
func ParseRole(s string) (store.Role, error) {
	switch r := store.Role(s); r {
	case store.RoleWorker, store.RoleViewer, store.RoleOperator, store.RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("%w role %q (want viewer, operator, admin or worker)", pipeline.ErrInvalid, s)
}

// rank orders roles; an unknown role ranks below every known one.
func rank(r store.Role) int {
	switch r {
	case store.RoleWorker:
		return 0
	case store.RoleViewer:
		return 1
	case store.RoleOperator:
		return 2
	case store.RoleAdmin:
		return 3
	}
	return -1
}

// Spec describes a token to create.
type Spec struct {
	// Name is unique among tokens: letters, digits and . _ @ - (at most
	// 64), starting with a letter or digit.
	Name string
	Role store.Role
	// ActionTypes limits a worker token to these custom action types
	// (empty: any); only worker tokens take them.
	ActionTypes []string
	// TTL, when positive, makes the token expire that long after Now.
	TTL time.Duration
}

// New makes a token for s at now: the token to hand to its user (shown
// once, never stored) and the record to store. A bad spec wraps
// pipeline.ErrInvalid.
func New(s Spec, now time.Time) (string, store.Token, error) {
	if !namePattern.MatchString(s.Name) {
		return "", store.Token{}, fmt.Errorf("%w token name %q: use letters, digits and . _ @ - (at most 64)",
			pipeline.ErrInvalid, s.Name)
	}
	if _, err := ParseRole(string(s.Role)); err != nil {
		return "", store.Token{}, err
	}
	if len(s.ActionTypes) > 0 && s.Role != store.RoleWorker {
		return "", store.Token{}, fmt.Errorf("%w token %s: only worker tokens take action types", pipeline.ErrInvalid, s.Name)
	}
	for _, t := range s.ActionTypes {
		if !actionTypePattern.MatchString(t) {
			return "", store.Token{}, fmt.Errorf("%w token %s: action type %q", pipeline.ErrInvalid, s.Name, t)
		}
	}
	if s.TTL < 0 {
		return "", store.Token{}, fmt.Errorf("%w token %s: negative expiry", pipeline.ErrInvalid, s.Name)
	}
	id := make([]byte, idLen/2)
	secret := make([]byte, secretLen)
	_, _ = rand.Read(id) // crypto/rand.Read never fails
	_, _ = rand.Read(secret)
	sec := base64.RawURLEncoding.EncodeToString(secret)
	t := store.Token{ID: hex.EncodeToString(id), Name: s.Name, Hash: Hash(sec), Role: s.Role,
		ActionTypes: slices.Clone(s.ActionTypes), Created: now.UTC()}
	if s.TTL > 0 {
		t.Expires = now.Add(s.TTL).UTC()
	}
	return Prefix + t.ID + "_" + sec, t, nil
}

// Parse splits a token into its id and secret; anything not shaped like
// a token wraps pipeline.ErrInvalid (and says nothing of the input).
func Parse(token string) (id, secret string, err error) {
	bad := fmt.Errorf("%w: malformed token", pipeline.ErrInvalid)
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(rest) < idLen+1 || rest[idLen] != '_' {
		return "", "", bad
	}
	id, secret = rest[:idLen], rest[idLen+1:]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", "", bad
	}
	if b, err := base64.RawURLEncoding.DecodeString(secret); err != nil || len(b) != secretLen {
		return "", "", bad
	}
	return id, secret, nil
}

// Hash is what the store keeps of a token secret: its SHA-256, hex.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Usable reports why t may not be used at now: "revoked", "expired" or ""
// when it may.
func Usable(t store.Token, now time.Time) string {
	switch {
	case !t.Revoked.IsZero():
		return "revoked"
	case !t.Expires.IsZero() && !now.Before(t.Expires):
		return "expired"
	}
	return ""
}
