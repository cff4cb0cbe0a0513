package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store"
)

var _ Releaser = (*Server)(nil)

// Release starts an execution of the registered pipeline name at revision
// (a commit, tag or branch; empty: the head of the pipeline's branch) and
// returns its id. It fetches the pipeline's branch into the server's clone
// of its repository, checks the revision out into DATA/checkouts/ID (the
// execution's repository; removed when the execution ends), reads
// secpipe.yml from the pipeline's directory there and starts it under the
// registered name with trigger recorded ("manual alice", "poll",
// "webhook:github 1a2b3c4").
//
// An unknown pipeline or revision wraps pipeline.ErrNotFound; a repository
// that cannot be fetched, or a missing or broken secpipe.yml (the error
// names file:line), wraps pipeline.ErrInvalid, and nothing starts. Paused
// pipelines are released too: pausing stops triggers, which check it.
func (s *Server) Release(ctx context.Context, name, trigger, revision string) (string, error) {
	rec, err := s.store.Pipeline(ctx, name)
	if err != nil {
		return "", fmt.Errorf("release %s: %w", name, err)
	}
	id, err := s.newExecutionID(ctx)
	if err != nil {
		return "", fmt.Errorf("release %s: %w", name, err)
	}
	defer s.unclaim(id)
	checkout := filepath.Join(checkoutsDir(s.cfg.DataDir), id)
	commit, err := s.checkout(ctx, rec, revision, checkout)
	if err != nil {
		return "", fmt.Errorf("release %s: %w", name, err)
	}
	repoDir := filepath.Join(checkout, filepath.FromSlash(rec.Dir))
	p, err := s.loadPipeline(repoDir, rec.Dir)
	if err == nil {
		p.Name = rec.Name
		_, err = s.eng.Start(ctx, p, engine.StartOptions{ID: id, RepoDir: repoDir, Trigger: trigger, Revision: commit})
	}
	if err != nil {
		if rerr := s.removeCheckout(context.WithoutCancel(ctx), checkout); rerr != nil {
			s.log.Warn("remove checkout", "execution", id, "err", rerr)
		}
		return "", fmt.Errorf("release %s: %w", name, err)
	}
	s.log.Info("released", "pipeline", name, "execution", id, "revision", commit, "trigger", trigger)
	return id, nil
}

// newExecutionID returns an execution id no execution has, claimed (the
// caller unclaims it once the execution exists or failed to start).
func (s *Server) newExecutionID(ctx context.Context) (string, error) {
	for {
		id := engine.NewExecutionID(s.now())
		if !s.tryClaim(id) {
			continue
		}
		_, err := s.store.Execution(ctx, id)
		if errors.Is(err, pipeline.ErrNotFound) {
			return id, nil
		}
		s.unclaim(id)
		if err != nil {
			return "", err
		}
	}
}

// checkout fetches rec's branch, resolves revision (empty: the branch
// head) and checks it out at dir; it returns the commit.
func (s *Server) checkout(ctx context.Context, rec store.PipelineRecord, revision, dir string) (string, error) {
	unlock := s.lockRepo(rec.Name)
	defer unlock()
	head, err := s.fetch(ctx, rec.Name, rec.Repo, rec.Branch)
	if err != nil {
		return "", err
	}
	commit := head
	if revision != "" {
		if commit, err = s.resolve(ctx, rec.Name, rec.Repo, revision); err != nil {
			return "", err
		}
	}
	if err := s.addCheckout(ctx, rec.Name, dir, commit); err != nil {
		return "", err
	}
	return commit, nil
}

// loadPipeline reads secpipe.yml (or secpipe.yaml) of the checked-out
// directory repoDir; errors name the file by its path in the repository
// (dir/secpipe.yml:LINE).
func (s *Server) loadPipeline(repoDir, dir string) (*pipeline.Pipeline, error) {
	for _, base := range []string{"secpipe.yml", "secpipe.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoDir, base))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return spec.Parse(path.Join(dir, base), data, spec.Options{Providers: s.providers})
	}
	return nil, fmt.Errorf("%w: no %s in the repository (write one, see docs/pipeline.md)", pipeline.ErrInvalid,
		path.Join(dir, "secpipe.yml"))
}

// ensureCheckout recreates the checkout of a server execution whose
// checkout was removed when it ended, at its revision, so that a retry
// finds its repository. Executions the server did not release are left
// alone. The caller claims x.ID.
func (s *Server) ensureCheckout(ctx context.Context, x store.Execution) error {
	root := checkoutsDir(s.cfg.DataDir)
	rel, err := filepath.Rel(root, x.RepoDir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil
	}
	checkout := filepath.Join(root, strings.SplitN(filepath.ToSlash(rel), "/", 2)[0])
	if _, err := os.Stat(x.RepoDir); err == nil {
		return nil
	}
	rec, err := s.store.Pipeline(ctx, x.Pipeline)
	if err != nil {
		return fmt.Errorf("recreate the checkout of %s: %w", x.ID, err)
	}
	if x.Revision == "" {
		return fmt.Errorf("%w: the checkout of %s is gone and its revision is unknown", pipeline.ErrInvalid, x.ID)
	}
	unlock := s.lockRepo(rec.Name)
	defer unlock()
	if err := s.initClone(ctx, rec.Name); err != nil {
		return fmt.Errorf("recreate the checkout of %s: %w", x.ID, err)
	}
	commit, err := s.resolve(ctx, rec.Name, rec.Repo, x.Revision)
	if err != nil {
		return fmt.Errorf("recreate the checkout of %s: %w", x.ID, err)
	}
	if err := s.addCheckout(ctx, rec.Name, checkout, commit); err != nil {
		return fmt.Errorf("recreate the checkout of %s: %w", x.ID, err)
	}
	return nil
}
