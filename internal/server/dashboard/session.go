package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/store"
)

// Cookie names. With Config.Secure the session cookie takes the __Host-
// prefix, which browsers accept only from HTTPS, for Path=/ and without a
// Domain, so a sibling host cannot plant one.
const (
	sessionCookie       = "secpipe_session"
	secureSessionCookie = "__Host-secpipe_session"
	loginCookie         = "secpipe_login"
	loginCookieAge      = time.Hour
	// maxSessions bounds the memory sessions take; past it the session
	// used least recently ends.
	maxSessions = 10000
	// recheckEvery is how often a session's token is checked again at
	// most (Config.Recheck).
	recheckEvery = time.Minute
)

// session is one logged-in browser. Its fields other than id, principal
// and created are guarded by sessions.mu.
type session struct {
	id        string
	principal Principal
	created   time.Time
	lastSeen  time.Time
	// expires is when the token expires (zero: never), as last checked;
	// checked is when the token was last checked.
	expires time.Time
	checked time.Time
	flash   []flash
}

// flash is a one-time message shown on the next page.
type flash struct {
	Error bool
	Text  string
}

// sessions is the in-memory session table.
type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	ttl  time.Duration
	idle time.Duration
	now  func() time.Time
}

func newSessions(ttl, idle time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, ttl: ttl, idle: idle, now: now}
}

// create starts a session for p and returns it.
func (s *sessions) create(p Principal) *session {
	now := s.now()
	ss := &session{id: randomToken(32), principal: p, created: now, lastSeen: now, expires: p.Expires, checked: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	if len(s.m) >= maxSessions {
		s.evictOldest()
	}
	s.m[ss.id] = ss
	return ss
}

// lookup returns the live session with that id and marks it used.
func (s *sessions) lookup(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return nil, false
	}
	if s.expired(ss, now) {
		delete(s.m, id)
		return nil, false
	}
	ss.lastSeen = now
	return ss, true
}

func (s *sessions) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.created) >= s.ttl || now.Sub(ss.lastSeen) >= s.idle ||
		!ss.expires.IsZero() && !now.Before(ss.expires)
}

// recheckDue reports whether ss's token is due to be checked again and, if
// so, marks it checked now, so that concurrent requests check it once.
func (s *sessions) recheckDue(ss *session) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(ss.checked) < recheckEvery {
		return false
	}
	ss.checked = now
	return true
}

// rechecked records what a check of ss's token found: p's expiry. It
// reports whether the session is still live.
func (s *sessions) rechecked(ss *session, p Principal) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss.expires = p.Expires
	if s.m[ss.id] != ss {
		return false
	}
	if s.expired(ss, now) {
		delete(s.m, ss.id)
		return false
	}
	return true
}

// end removes one session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// endAll removes every session of the principal named name.
func (s *sessions) endAll(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, ss := range s.m {
		if ss.principal.Name == name {
			delete(s.m, id)
			n++
		}
	}
	return n
}

// prune removes expired sessions; the lock must be held.
func (s *sessions) prune(now time.Time) {
	for id, ss := range s.m {
		if s.expired(ss, now) {
			delete(s.m, id)
		}
	}
}

// evictOldest removes the session used least recently; the lock must be
// held.
func (s *sessions) evictOldest() {
	var oldest *session
	for _, ss := range s.m {
		if oldest == nil || ss.lastSeen.Before(oldest.lastSeen) {
			oldest = ss
		}
	}
	if oldest != nil {
		delete(s.m, oldest.id)
	}
}

// addFlash queues a message for the session's next page.
func (s *sessions) addFlash(ss *session, f flash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss.flash = append(ss.flash, f)
}

// takeFlash returns and clears the session's queued messages.
func (s *sessions) takeFlash(ss *session) []flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := ss.flash
	ss.flash = nil
	return f
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// mac returns the HMAC of purpose and value under the dashboard's key.
func (d *Dashboard) mac(purpose, value string) string {
	h := hmac.New(sha256.New, d.key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// csrfToken is the CSRF token of a session's forms.
func (d *Dashboard) csrfToken(ss *session) string { return d.mac("csrf", ss.id) }

// validToken compares a submitted token with the expected one in constant
// time; an empty submission never matches.
func validToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sessionCookieName is the session cookie's name under cfg.Secure.
func (d *Dashboard) sessionCookieName() string {
	if d.cfg.Secure {
		return secureSessionCookie
	}
	return sessionCookie
}

// session returns the request's live session. Once a minute at most it
// checks the session's token again (Config.Recheck); a revoked or expired
// one, or a failed check, ends the session.
func (d *Dashboard) session(r *http.Request) (*session, bool) {
	c, err := r.Cookie(d.sessionCookieName())
	if err != nil {
		return nil, false
	}
	ss, ok := d.sessions.lookup(c.Value)
	if !ok || d.cfg.Recheck == nil || !d.sessions.recheckDue(ss) {
		return ss, ok
	}
	p, err := d.cfg.Recheck(r.Context(), ss.principal)
	if err != nil {
		d.sessions.end(ss.id)
		if errors.Is(err, pipeline.ErrNotFound) || errors.Is(err, pipeline.ErrInvalid) {
			d.log.Info("dashboard session ended", "token", ss.principal.Name, "reason", err)
		} else {
			d.log.Error("dashboard session check", "token", ss.principal.Name, "err", err)
		}
		return nil, false
	}
	if !d.sessions.rechecked(ss, p) {
		return nil, false
	}
	return ss, true
}

// setCookie writes a cookie with the dashboard's flags: HttpOnly,
// SameSite=Strict, Path=/, Secure when configured. maxAge < 0 deletes it;
// 0 makes a browser-session cookie.
func (d *Dashboard) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: d.cfg.Secure,
		SameSite: http.SameSiteStrictMode}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// roleRank orders roles; an unknown role ranks below every known one.
func roleRank(r store.Role) int {
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

// allowed reports whether p may do what role may.
func (p Principal) allowed(role store.Role) bool {
	return roleRank(p.Role) >= roleRank(role) && roleRank(p.Role) >= roleRank(store.RoleViewer)
}

// TokenCheck returns a Config.Recheck over a token store: it finds the
// token p.TokenID names and returns its principal, or an error wrapping
// pipeline.ErrNotFound when the token is gone or pipeline.ErrInvalid when
// it is revoked or has expired at now() (time.Now when nil).
func TokenCheck(tokens store.TokenStore, now func() time.Time) func(ctx context.Context, p Principal) (Principal, error) {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, p Principal) (Principal, error) {
		all, err := tokens.Tokens(ctx)
		if err != nil {
			return Principal{}, fmt.Errorf("check token %s: %w", p.Name, err)
		}
		i := slices.IndexFunc(all, func(t store.Token) bool { return t.ID == p.TokenID })
		if p.TokenID == "" || i < 0 {
			return Principal{}, fmt.Errorf("token %s: %w", p.Name, pipeline.ErrNotFound)
		}
		t := all[i]
		if why := auth.Usable(t, now()); why != "" {
			return Principal{}, fmt.Errorf("%w: token %s is %s", pipeline.ErrInvalid, t.Name, why)
		}
		return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Expires: t.Expires}, nil
	}
}
