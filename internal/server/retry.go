package server

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Retry reruns stage (empty: the one that failed) of the ended execution
// id, first recreating its checkout, which the server removes when an
// execution ends. The API and the dashboard retry through it. An
// execution that has not ended wraps pipeline.ErrInvalid, an unknown one
// pipeline.ErrNotFound.
func (s *Server) Retry(ctx context.Context, id, stage string) error {
	x, err := s.store.Execution(ctx, id)
	if err != nil {
		return err
	}
	if !x.Status.Terminal() {
		return fmt.Errorf("%w: execution %s is %s; only failed or cancelled executions can be retried",
			pipeline.ErrInvalid, id, x.Status)
	}
	if err := s.claim(ctx, id); err != nil {
		return err
	}
	defer s.unclaim(id)
	if err := s.ensureCheckout(ctx, x); err != nil {
		return err
	}
	return s.eng.Retry(ctx, id, stage)
}
