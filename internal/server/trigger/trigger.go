// Package trigger starts executions of registered pipelines when their
// repository changes: it polls the repository through the job queue, and it
// receives push webhooks from GitHub, GitLab and Gitea/Forgejo.
//
// # Polling
//
// Each pipeline that polls (PollInterval > 0, not paused) has one chain of
// KindPoll jobs. A job runs `git ls-remote REPO refs/heads/BRANCH`, and in
// one transaction records the head as LastRevision, enqueues a KindRelease
// job when the head moved, and enqueues the next poll at the interval ± 10 %.
// The release job calls the Releaser; it is retried when that fails for a
// passing reason (a network error), and not when the pipeline is broken.
//
// The record's Updated time is the chain's stamp: every poll writes a new
// one and hands it to the next job, and a job whose stamp is no longer the
// record's does nothing. So a job that runs twice (the queue runs jobs at
// least once), a job from before a restart, or one of a pipeline deleted
// and registered again ends its chain without polling. Arm starts a new
// chain by writing a new stamp, which retires every older one; EnsurePolling
// arms every polling pipeline when a server starts, Schedule one pipeline
// after a change. A writer that sets Updated without arming (pausing, say)
// ends the chain; Revive restarts chains that should have polled by now.
//
// # Webhooks
//
// WebhookHandler serves POST /api/v1/webhooks/{pipeline}. The request is
// authenticated by the pipeline's webhook secret alone (HMAC-SHA256 of the
// body for GitHub and Gitea, the token for GitLab), checked before the body
// is parsed; a pipeline without a secret refuses webhooks. A push that
// matches the pipeline's branch and filters is released at once; the same
// delivery (or the same commit on the same ref) within 24 hours is released
// once. Deliveries are recorded in the audit log, so replay protection holds
// across restarts and across servers sharing a database.
//
// Triggers is safe for concurrent use.
package trigger

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	mrand "math/rand/v2"
	"time"

	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
)

// Job kinds this package handles. A dispatcher's configuration may give
// KindRelease a longer timeout: a release fetches the repository.
const (
	KindPoll    = "trigger.poll"
	KindRelease = "trigger.release"
)

// Store is what triggers read and write: registered pipelines, the audit
// log, and transactions (store.Store satisfies it).
type Store interface {
	store.PipelineStore
	store.AuditStore
	// Update runs fn in one transaction; see store.Store.
	Update(ctx context.Context, fn func(tx store.Tx) error) error
}

// Releaser starts an execution of a registered pipeline at a revision.
// trigger says what started it ("poll 1a2b3c4", "webhook:github 1a2b3c4").
// An error wrapping pipeline.ErrInvalid or pipeline.ErrNotFound is final
// (a broken secpipe.yml, an unknown revision); others may pass.
type Releaser interface {
	Release(ctx context.Context, name, trigger, revision string) (string, error)
}

// Git reads a repository's refs.
type Git interface {
	// Head returns the commit ref (a full ref name: refs/heads/main)
	// points at in repo, a URL or a local path. A repository without
	// that ref is an error wrapping pipeline.ErrNotFound.
	Head(ctx context.Context, repo, ref string) (string, error)
}

// Config configures Triggers. Store, Dispatcher and Releaser are
// required.
type Config struct {
	Store      Store
	Dispatcher queue.Dispatcher
	Releaser   Releaser
	// Git reads branch heads for polling; nil runs the git program
	// (ExecGit).
	Git Git
	// Logger receives poll failures, rejected webhooks and releases; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); Rand returns numbers in
	// [0, 1) for the jitter of poll times (math/rand/v2 when nil).
	Now  func() time.Time
	Rand func() float64
}

// Triggers polls registered pipelines and receives their webhooks.
type Triggers struct {
	store Store
	disp  queue.Dispatcher
	rel   Releaser
	git   Git
	log   *slog.Logger
	now   func() time.Time
	rand  func() float64
}

// New returns Triggers and registers its job handlers (KindPoll,
// KindRelease) on cfg.Dispatcher: call it before the dispatcher's Start.
func New(cfg Config) *Triggers {
	t := &Triggers{
		store: cfg.Store,
		disp:  cfg.Dispatcher,
		rel:   cfg.Releaser,
		git:   cfg.Git,
		log:   cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		now:   cfg.Now,
		rand:  cfg.Rand,
	}
	if t.git == nil {
		t.git = ExecGit{}
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.rand == nil {
		t.rand = mrand.Float64
	}
	t.disp.Handle(KindPoll, t.handlePoll)
	t.disp.Handle(KindRelease, t.handleRelease)
	return t
}

// shortSHA abbreviates a commit id for messages and trigger names.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// newID returns a random identifier for a release.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
