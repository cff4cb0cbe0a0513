package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Principal is an authenticated caller: the token a request carried.
type Principal struct {
	TokenID string
	// Name is the token's name; audit entries and approvals record it.
	Name        string
	Role        store.Role
	ActionTypes []string
}

// Allows reports whether p's role is at least min. A worker is allowed
// only what asks for RoleWorker (the job API).
func (p Principal) Allows(min store.Role) bool {
	if p.Role == store.RoleWorker {
		return min == store.RoleWorker
	}
	return rank(p.Role) >= rank(min) && rank(min) >= 0
}

// MayUseActionType reports whether p may poll and report jobs of
// actionType: a worker token limited to some types only those, any other
// token any type.
func (p Principal) MayUseActionType(actionType string) bool {
	if p.Role != store.RoleWorker || len(p.ActionTypes) == 0 {
		return true
	}
	return slices.Contains(p.ActionTypes, actionType)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal Middleware put in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// lastUsedEvery is how often a token's LastUsed is written at most.
const lastUsedEvery = time.Minute

// Authenticator checks bearer tokens against a token store. It is safe
// for concurrent use.
type Authenticator struct {
	tokens store.TokenStore
	now    func() time.Time
	log    *slog.Logger
}

// NewAuthenticator returns an Authenticator over tokens; now tells the
// time (time.Now when nil), log receives store errors (nil discards).
func NewAuthenticator(tokens store.TokenStore, now func() time.Time, log *slog.Logger) *Authenticator {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{tokens: tokens, now: now, log: log}
}

// ErrUnauthenticated is matched by the errors of Authenticate and
// AuthenticateToken for a missing, malformed, unknown, revoked or expired
// token; their messages may be shown to the caller.
var ErrUnauthenticated = errors.New("unauthenticated")

// errUnauthenticated is an ErrUnauthenticated with its message for the
// caller.
type errUnauthenticated struct{ msg string }

func (e errUnauthenticated) Error() string        { return e.msg }
func (e errUnauthenticated) Is(target error) bool { return target == ErrUnauthenticated }

// Authenticate finds the principal of r's "Authorization: Bearer" token;
// see AuthenticateToken.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return Principal{}, errUnauthenticated{"an API token is required: Authorization: Bearer spt_..."}
	}
	return a.AuthenticateToken(r.Context(), strings.TrimSpace(tok))
}

// AuthenticateToken finds the principal of token (a login form's) and
// records the token's use (at most once a minute). A bad token is an
// error matching ErrUnauthenticated; a store failure is any other error.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (Principal, error) {
	id, secret, err := Parse(token)
	if err != nil {
		return Principal{}, errUnauthenticated{"the API token is malformed"}
	}
	t, err := a.tokens.TokenByHash(ctx, Hash(secret))
	if errors.Is(err, pipeline.ErrNotFound) {
		return Principal{}, errUnauthenticated{"the API token is not known"}
	}
	if err != nil {
		return Principal{}, err
	}
	if subtle.ConstantTimeCompare([]byte(t.ID), []byte(id)) != 1 {
		return Principal{}, errUnauthenticated{"the API token is not known"}
	}
	now := a.now()
	if why := Usable(t, now); why != "" {
		return Principal{}, errUnauthenticated{"the API token is " + why}
	}
	if now.Sub(t.LastUsed) >= lastUsedEvery {
		_, err := modify(context.WithoutCancel(ctx), a.tokens, t.Hash, func(t *store.Token) bool {
			if now.Sub(t.LastUsed) < lastUsedEvery {
				return false
			}
			t.LastUsed = now.UTC()
			return true
		})
		if err != nil {
			a.log.Warn("record token use", "token", t.Name, "err", err)
		}
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, ActionTypes: t.ActionTypes}, nil
}

// Require wraps next so that it runs only for callers whose role is at
// least min (see Principal.Allows), with their Principal in the request
// context. Others get 401 (no usable token, with a WWW-Authenticate
// header) or 403 (a role too weak), as JSON errors.
func (a *Authenticator) Require(min store.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		var unauth errUnauthenticated
		switch {
		case errors.As(err, &unauth):
			w.Header().Set("WWW-Authenticate", `Bearer realm="secpipe"`)
			WriteError(w, http.StatusUnauthorized, "unauthorized", unauth.msg)
			return
		case err != nil:
			a.log.Error("authenticate", "err", err)
			WriteError(w, http.StatusInternalServerError, "internal", "internal error")
			return
		case !p.Allows(min):
			msg := "this needs the " + string(min) + " role; token " + p.Name + " has " + string(p.Role)
			if p.Role == store.RoleWorker {
				msg = "worker tokens may use only the job API"
			}
			WriteError(w, http.StatusForbidden, "forbidden", msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// ErrorBody is the JSON body of every API error:
// {"error": {"code": "...", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code (a stable word: invalid, not_found,
// unauthorized, forbidden, conflict, too_large, internal, ...) and the
// message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError writes an API error with status.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// AuthorizeJob says whether the caller of r, let through by Require, may
// work jobs of actionType (the job API's authorization hook): nil when
// its token allows that type, an error for the caller otherwise.
func AuthorizeJob(r *http.Request, actionType string) error {
	p, ok := FromContext(r.Context())
	if !ok {
		return errors.New("an API token is required")
	}
	if !p.MayUseActionType(actionType) {
		return fmt.Errorf("token %s may not work jobs of action type %q", p.Name, actionType)
	}
	return nil
}
