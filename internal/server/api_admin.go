package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/store"
)

// defaultAuditPage is the page size of GET /audit.
const defaultAuditPage = 100

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := pageLimit(q, defaultAuditPage)
	if err != nil {
		return err
	}
	before, err := cursor(q)
	if err != nil {
		return err
	}
	es, err := s.store.Audit(r.Context(), store.AuditFilter{Target: q.Get("target"), BeforeSeq: before, Limit: limit + 1})
	if err != nil {
		return err
	}
	var next int64
	if len(es) > limit {
		es, next = es[:limit], es[limit-1].Seq
	}
	out := make([]AuditEntry, 0, len(es))
	for _, e := range es {
		out = append(out, AuditEntry{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
			Detail: e.Detail})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": out, "next_cursor": cursorString(next)})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.store.Tokens(r.Context())
	if err != nil {
		return err
	}
	out := make([]Token, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenJSON(t))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// tokenRequest is the body of POST /tokens.
type tokenRequest struct {
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	ActionTypes []string `json:"action_types"`
	// Expires is a Go duration from now ("720h"); empty: never.
	Expires string `json:"expires"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	spec := auth.Spec{Name: req.Name, Role: store.Role(req.Role), ActionTypes: req.ActionTypes}
	if req.Expires != "" {
		d, err := time.ParseDuration(req.Expires)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w expires %q: want a duration like 720h", pipeline.ErrInvalid, req.Expires)
		}
		spec.TTL = d
	}
	secret, t, err := auth.Create(r.Context(), s.store, spec, s.now())
	if errors.Is(err, auth.ErrNameTaken) {
		return errorf(http.StatusConflict, "conflict", "a token named %s exists", req.Name)
	}
	if err != nil {
		return err
	}
	s.audit(r, "token.create", t.Name, "role "+string(t.Role))
	w.Header().Set("Location", "/api/v1/tokens/"+url.PathEscape(t.Name))
	return writeJSON(w, http.StatusCreated, NewToken{Token: tokenJSON(t), Secret: secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	t, err := auth.Revoke(r.Context(), s.store, name, s.now())
	if err != nil {
		return err
	}
	s.audit(r, "token.revoke", t.Name, "")
	if s.cfg.TokenRevoked != nil {
		s.cfg.TokenRevoked(t.Name)
	}
	return writeJSON(w, http.StatusOK, tokenJSON(t))
}
