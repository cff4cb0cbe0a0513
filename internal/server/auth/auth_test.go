package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// memTokens is an in-memory store.TokenStore.
type memTokens struct {
	mu      sync.Mutex
	tokens  map[string]store.Token // by hash
	updates int
}

func (m *memTokens) CreateToken(_ context.Context, t store.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens = map[string]store.Token{}
	}
	m.tokens[t.Hash] = t
	return nil
}

func (m *memTokens) TokenByHash(_ context.Context, hash string) (store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hash]
	if !ok {
		return store.Token{}, fmt.Errorf("token: %w", pipeline.ErrNotFound)
	}
	return t, nil
}

func (m *memTokens) Tokens(context.Context) ([]store.Token, error) { return nil, nil }

func (m *memTokens) UpdateToken(_ context.Context, t store.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updates++
	m.tokens[t.Hash] = t
	return nil
}

func TestNewAndParse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok, rec, err := New(Spec{Name: "ci", Role: store.RoleOperator, TTL: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err := Parse(tok)
	if err != nil {
		t.Fatalf("Parse(New()) = %v", err)
	}
	if id != rec.ID || Hash(secret) != rec.Hash || strings.Contains(rec.Hash, secret) {
		t.Errorf("Parse = %s, hash %s; record id %s hash %s", id, Hash(secret), rec.ID, rec.Hash)
	}
	if !rec.Expires.Equal(now.Add(time.Hour)) || rec.Role != store.RoleOperator || rec.Name != "ci" {
		t.Errorf("record = %+v", rec)
	}
	tok2, _, _ := New(Spec{Name: "ci", Role: store.RoleOperator}, now)
	if tok2 == tok {
		t.Error("two tokens are equal")
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{name: "empty name", spec: Spec{Role: store.RoleViewer}},
		{name: "name with space", spec: Spec{Name: "a b", Role: store.RoleViewer}},
		{name: "unknown role", spec: Spec{Name: "a", Role: "root"}},
		{name: "action types on a viewer", spec: Spec{Name: "a", Role: store.RoleViewer, ActionTypes: []string{"X/y/1"}}},
		{name: "bad action type", spec: Spec{Name: "a", Role: store.RoleWorker, ActionTypes: []string{"-x"}}},
		{name: "negative ttl", spec: Spec{Name: "a", Role: store.RoleAdmin, TTL: -time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := New(tc.spec, time.Now()); !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("New(%+v) = %v, want ErrInvalid", tc.spec, err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	good, _, _ := New(Spec{Name: "a", Role: store.RoleViewer}, time.Now())
	for _, in := range []string{
		"", "spt_", "xyz_0123abcd_" + good[13:], "spt_0123abc_" + good[13:], "spt_0123ABCD_" + good[13:],
		"spt_0123abcg_" + good[13:], good[:len(good)-1], good + "A", good[:12] + "-" + good[13:],
		strings.Replace(good, good[13:14], "+", 1),
	} {
		if _, _, err := Parse(in); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", in, err)
		}
	}
}

func TestAllows(t *testing.T) {
	roles := []store.Role{store.RoleWorker, store.RoleViewer, store.RoleOperator, store.RoleAdmin}
	// want[i][j]: a token of roles[i] may call what needs roles[j].
	want := [][]bool{
		{true, false, false, false},
		{true, true, false, false},
		{true, true, true, false},
		{true, true, true, true},
	}
	for i, have := range roles {
		for j, need := range roles {
			if got := (Principal{Role: have}).Allows(need); got != want[i][j] {
				t.Errorf("Principal{%s}.Allows(%s) = %v, want %v", have, need, got, want[i][j])
			}
		}
	}
	if (Principal{Role: "root"}).Allows(store.RoleViewer) {
		t.Error("an unknown role is allowed")
	}
}

func TestMayUseActionType(t *testing.T) {
	for _, tc := range []struct {
		p    Principal
		typ  string
		want bool
	}{
		{p: Principal{Role: store.RoleWorker, ActionTypes: []string{"Deploy/x/1"}}, typ: "Deploy/x/1", want: true},
		{p: Principal{Role: store.RoleWorker, ActionTypes: []string{"Deploy/x/1"}}, typ: "Test/y/1", want: false},
		{p: Principal{Role: store.RoleWorker}, typ: "Test/y/1", want: true},
		{p: Principal{Role: store.RoleAdmin}, typ: "Test/y/1", want: true},
	} {
		if got := tc.p.MayUseActionType(tc.typ); got != tc.want {
			t.Errorf("%+v.MayUseActionType(%q) = %v, want %v", tc.p, tc.typ, got, tc.want)
		}
	}
}

func TestRequire(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := now
	tokens := &memTokens{}
	mk := func(name string, role store.Role, mod func(*store.Token)) string {
		tok, rec, err := New(Spec{Name: name, Role: role}, now)
		if err != nil {
			t.Fatal(err)
		}
		if mod != nil {
			mod(&rec)
		}
		_ = tokens.CreateToken(context.Background(), rec)
		return tok
	}
	viewer := mk("viewer", store.RoleViewer, nil)
	operator := mk("operator", store.RoleOperator, nil)
	worker := mk("worker", store.RoleWorker, nil)
	revoked := mk("revoked", store.RoleAdmin, func(t *store.Token) { t.Revoked = now })
	expired := mk("expired", store.RoleAdmin, func(t *store.Token) { t.Expires = now })
	_, otherSecret, _ := Parse(mk("other", store.RoleAdmin, nil))
	wrongID := "spt_00000000_" + otherSecret

	a := NewAuthenticator(tokens, func() time.Time { return clock }, nil)
	h := a.Require(store.RoleOperator, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := FromContext(r.Context())
		fmt.Fprint(w, p.Name)
	}))
	for _, tc := range []struct {
		name, header string
		status       int
		code, body   string
	}{
		{name: "no header", status: 401, code: "unauthorized"},
		{name: "basic", header: "Basic dXNlcjpwdw==", status: 401, code: "unauthorized"},
		{name: "malformed", header: "Bearer spt_nope", status: 401, code: "unauthorized"},
		{name: "unknown", header: "Bearer " + wrongID, status: 401, code: "unauthorized"},
		{name: "revoked", header: "Bearer " + revoked, status: 401, code: "unauthorized"},
		{name: "expired", header: "Bearer " + expired, status: 401, code: "unauthorized"},
		{name: "viewer", header: "Bearer " + viewer, status: 403, code: "forbidden"},
		{name: "worker", header: "Bearer " + worker, status: 403, code: "forbidden"},
		{name: "operator", header: "Bearer " + operator, status: 200, body: "operator"},
		{name: "lower-case scheme", header: "bearer " + operator, status: 200, body: "operator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/x", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			if tc.code != "" {
				var body ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != tc.code ||
					body.Error.Message == "" {
					t.Errorf("body = %s (%v), want code %s", rec.Body, err, tc.code)
				}
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("body = %q, want %q", rec.Body, tc.body)
			}
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// LastUsed is written at most once a minute.
	call := func() {
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Authorization", "Bearer "+viewer)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	tokens.updates = 0
	clock = now.Add(time.Hour)
	call()
	call()
	clock = clock.Add(30 * time.Second)
	call()
	if tokens.updates != 1 {
		t.Errorf("%d LastUsed updates within a minute, want 1", tokens.updates)
	}
	clock = clock.Add(time.Minute)
	call()
	if tokens.updates != 2 {
		t.Errorf("%d LastUsed updates after a minute, want 2", tokens.updates)
	}
}

func FuzzParse(f *testing.F) {
	good, _, _ := New(Spec{Name: "a", Role: store.RoleViewer}, time.Now())
	for _, s := range []string{good, "", "spt_", "spt_0123abcd_", "spt_0123abcd__" + strings.Repeat("A", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := Parse(s)
		if err != nil {
			return
		}
		if Prefix+id+"_"+secret != s {
			t.Errorf("Parse(%q) = %q, %q: does not rebuild the input", s, id, secret)
		}
	})
}

func TestAuthenticateToken(t *testing.T) {
	tokens := &memTokens{}
	tok, rec, err := New(Spec{Name: "alice", Role: store.RoleOperator}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_ = tokens.CreateToken(context.Background(), rec)
	a := NewAuthenticator(tokens, nil, nil)
	p, err := a.AuthenticateToken(context.Background(), tok)
	if err != nil || p.Name != "alice" || p.Role != store.RoleOperator || p.TokenID != rec.ID {
		t.Errorf("AuthenticateToken = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "nope", tok + "x"} {
		if _, err := a.AuthenticateToken(context.Background(), bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("AuthenticateToken(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
}
