package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// ErrNameTaken is matched by the error Create returns for a name another
// token has; it also matches pipeline.ErrInvalid.
var ErrNameTaken = fmt.Errorf("%w: token name taken", pipeline.ErrInvalid)

// Create makes a token for s at now and stores it in ts; it returns the
// token to hand over (shown once) and its record. A bad spec wraps
// pipeline.ErrInvalid; a name in use (even by a revoked token) matches
// ErrNameTaken.
func Create(ctx context.Context, ts store.TokenStore, s Spec, now time.Time) (string, store.Token, error) {
	have, err := ts.Tokens(ctx)
	if err != nil {
		return "", store.Token{}, err
	}
	if slices.ContainsFunc(have, func(t store.Token) bool { return t.Name == s.Name }) {
		return "", store.Token{}, fmt.Errorf("token %s: %w", s.Name, ErrNameTaken)
	}
	for {
		tok, t, err := New(s, now)
		if err != nil {
			return "", store.Token{}, err
		}
		// Ids are 32 random bits: a clash is rare, and harmless to retry.
		if slices.ContainsFunc(have, func(o store.Token) bool { return o.ID == t.ID }) {
			continue
		}
		if err := ts.CreateToken(ctx, t); err != nil {
			return "", store.Token{}, fmt.Errorf("create token %s: %w", s.Name, err)
		}
		return tok, t, nil
	}
}

// Revoke ends the validity of the token named name at now and returns its
// record; revoking a revoked token keeps its first revocation time. An
// unknown name wraps pipeline.ErrNotFound.
func Revoke(ctx context.Context, ts store.TokenStore, name string, now time.Time) (store.Token, error) {
	have, err := ts.Tokens(ctx)
	if err != nil {
		return store.Token{}, err
	}
	i := slices.IndexFunc(have, func(t store.Token) bool { return t.Name == name })
	if i < 0 {
		return store.Token{}, fmt.Errorf("token %s: %w", name, pipeline.ErrNotFound)
	}
	return modify(ctx, ts, have[i].Hash, func(t *store.Token) bool {
		if !t.Revoked.IsZero() {
			return false
		}
		t.Revoked = now.UTC()
		return true
	})
}

// transactional is a token store that can read and write in one
// transaction (store.Store).
type transactional interface {
	Update(ctx context.Context, fn func(tx store.Tx) error) error
}

// modify reads the token with hash, lets change alter it and stores it
// when change says so; the read and the write share a transaction when
// ts offers them, so that concurrent changes (a use recorded while the
// token is revoked) do not undo each other.
func modify(ctx context.Context, ts store.TokenStore, hash string, change func(*store.Token) bool) (store.Token, error) {
	var out store.Token
	apply := func(ts store.TokenStore) error {
		t, err := ts.TokenByHash(ctx, hash)
		if err != nil {
			return err
		}
		if change(&t) {
			if err := ts.UpdateToken(ctx, t); err != nil {
				return err
			}
		}
		out = t
		return nil
	}
	var err error
	if tx, ok := ts.(transactional); ok {
		err = tx.Update(ctx, func(tx store.Tx) error { return apply(tx) })
	} else {
		err = apply(ts)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("update token: %w", err)
	}
	return out, nil
}
