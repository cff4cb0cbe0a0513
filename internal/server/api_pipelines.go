package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/server/repourl"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store"
)

var (
	pipelineNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	branchPattern       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$`)
)

// MinPollInterval is the shortest poll interval a pipeline may have.
const MinPollInterval = 10 * time.Second

// maxWebhookSecret bounds a webhook secret's length.
const maxWebhookSecret = 256

// pipelineRequest is the body of POST /pipelines; every field but repo is
// optional.
type pipelineRequest struct {
	Name          string      `json:"name"`
	Repo          string      `json:"repo"`
	Branch        string      `json:"branch"`
	Dir           string      `json:"dir"`
	PollInterval  string      `json:"poll_interval"`
	Filter        *PushFilter `json:"filter"`
	WebhookSecret string      `json:"webhook_secret"`
	Paused        bool        `json:"paused"`
}

// pipelinePatch is the body of PATCH /pipelines/{name}: the fields to
// change.
type pipelinePatch struct {
	Repo          *string     `json:"repo"`
	Branch        *string     `json:"branch"`
	Dir           *string     `json:"dir"`
	PollInterval  *string     `json:"poll_interval"`
	Filter        *PushFilter `json:"filter"`
	WebhookSecret *string     `json:"webhook_secret"`
	Paused        *bool       `json:"paused"`
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.store.Pipelines(r.Context())
	if err != nil {
		return err
	}
	out := make([]Pipeline, 0, len(ps))
	for _, p := range ps {
		out = append(out, pipelineJSON(p))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"pipelines": out})
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request) error {
	p, err := s.store.Pipeline(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pipelineJSON(p))
}

// createPipeline registers a pipeline. It fetches the branch (so that an
// unreachable repository or unknown branch is refused now), and takes
// the name from secpipe.yml when the request gives none.
func (s *Server) createPipeline(w http.ResponseWriter, r *http.Request) error {
	var req pipelineRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	now := s.now().UTC()
	rec := store.PipelineRecord{Name: req.Name, Repo: req.Repo, Branch: req.Branch, Dir: req.Dir,
		WebhookSecret: req.WebhookSecret, Paused: req.Paused, Created: now, Updated: now}
	if req.Filter != nil {
		rec.Filter = store.PushFilter{Branches: req.Filter.Branches, Tags: req.Filter.Tags, Paths: req.Filter.Paths}
	}
	var err error
	if rec.PollInterval, err = parsePollInterval(req.PollInterval); err != nil {
		return err
	}
	if err := s.checkRecord(r.Context(), &rec); err != nil {
		return err
	}
	if rec.Name != "" {
		if err := s.checkNewName(r.Context(), rec.Name); err != nil {
			return err
		}
	}
	if err := s.fetchNew(r.Context(), &rec); err != nil {
		return err
	}
	if err := s.store.CreatePipeline(r.Context(), rec); err != nil {
		if errors.Is(err, pipeline.ErrInvalid) {
			return errorf(http.StatusConflict, "conflict", "a pipeline named %s exists", rec.Name)
		}
		return err
	}
	s.audit(r, "pipeline.create", rec.Name, "repo "+repourl.Display(rec.Repo)+" branch "+rec.Branch)
	s.pipelineChanged(r.Context(), rec.Name)
	w.Header().Set("Location", "/api/v1/pipelines/"+url.PathEscape(rec.Name))
	return writeJSON(w, http.StatusCreated, pipelineJSON(rec))
}

// checkNewName refuses a bad or taken pipeline name.
func (s *Server) checkNewName(ctx context.Context, name string) error {
	if !pipelineNamePattern.MatchString(name) {
		return fmt.Errorf("%w name %q: use letters, digits and . _ - (at most 100), starting with a letter or digit",
			pipeline.ErrInvalid, name)
	}
	_, err := s.store.Pipeline(ctx, name)
	switch {
	case err == nil:
		return errorf(http.StatusConflict, "conflict", "a pipeline named %s exists", name)
	case !errors.Is(err, pipeline.ErrNotFound):
		return err
	}
	return nil
}

// fetchNew fetches the new pipeline's branch into its clone; without a
// name, it reads the name from secpipe.yml at the branch head.
func (s *Server) fetchNew(ctx context.Context, rec *store.PipelineRecord) error {
	if rec.Name != "" {
		unlock := s.lockRepo(rec.Name)
		defer unlock()
		_, err := s.fetch(ctx, rec.Name, rec.Repo, rec.Branch)
		return err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	tmp := ".new-" + hex.EncodeToString(b)
	defer os.RemoveAll(s.clonePath(tmp))
	head, err := s.fetch(ctx, tmp, rec.Repo, rec.Branch)
	if err != nil {
		return err
	}
	p, err := s.pipelineAt(ctx, tmp, head, rec.Dir)
	if err != nil {
		return err
	}
	if err := s.checkNewName(ctx, p.Name); err != nil {
		return fmt.Errorf("%w (give the pipeline a name of its own)", err)
	}
	rec.Name = p.Name
	unlock := s.lockRepo(rec.Name)
	defer unlock()
	if _, err := os.Stat(s.clonePath(rec.Name)); errors.Is(err, os.ErrNotExist) {
		return os.Rename(s.clonePath(tmp), s.clonePath(rec.Name))
	}
	return nil
}

// pipelineAt parses secpipe.yml (or secpipe.yaml) in dir at commit of the
// clone of pipeline name.
func (s *Server) pipelineAt(ctx context.Context, name, commit, dir string) (*pipeline.Pipeline, error) {
	for _, base := range []string{"secpipe.yml", "secpipe.yaml"} {
		file := path.Join(dir, base)
		data, err := s.readFile(ctx, name, commit, file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return spec.Parse(file, data, spec.Options{Providers: s.providers})
	}
	return nil, fmt.Errorf("%w: no %s on the branch's head; give the pipeline a name or add the file",
		pipeline.ErrInvalid, path.Join(dir, "secpipe.yml"))
}

func (s *Server) patchPipeline(w http.ResponseWriter, r *http.Request) error {
	var req pipelinePatch
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	rec, err := s.store.Pipeline(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	changed, err := applyPatch(&rec, req)
	if err != nil {
		return err
	}
	if err := s.checkRecord(r.Context(), &rec); err != nil {
		return err
	}
	if req.Repo != nil || req.Branch != nil {
		unlock := s.lockRepo(rec.Name)
		_, err := s.fetch(r.Context(), rec.Name, rec.Repo, rec.Branch)
		unlock()
		if err != nil {
			return err
		}
	}
	rec.Updated = s.now().UTC()
	if err := s.store.UpdatePipeline(r.Context(), rec); err != nil {
		return err
	}
	if req.Paused != nil {
		s.audit(r, map[bool]string{true: "pipeline.pause", false: "pipeline.resume"}[*req.Paused], rec.Name, "")
	}
	if others := slices.DeleteFunc(changed, func(f string) bool { return f == "paused" }); len(others) > 0 {
		s.audit(r, "pipeline.update", rec.Name, "changed "+strings.Join(others, ", "))
	}
	s.pipelineChanged(r.Context(), rec.Name)
	return writeJSON(w, http.StatusOK, pipelineJSON(rec))
}

// applyPatch sets the fields req names and returns their names.
func applyPatch(rec *store.PipelineRecord, req pipelinePatch) ([]string, error) {
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil {
			*dst = *v
			changed = append(changed, name)
		}
	}
	set("repo", &rec.Repo, req.Repo)
	set("branch", &rec.Branch, req.Branch)
	set("dir", &rec.Dir, req.Dir)
	if req.PollInterval != nil {
		d, err := parsePollInterval(*req.PollInterval)
		if err != nil {
			return nil, err
		}
		rec.PollInterval = d
		changed = append(changed, "poll_interval")
	}
	if req.Filter != nil {
		rec.Filter = store.PushFilter{Branches: req.Filter.Branches, Tags: req.Filter.Tags, Paths: req.Filter.Paths}
		changed = append(changed, "filter")
	}
	set("webhook_secret", &rec.WebhookSecret, req.WebhookSecret)
	if req.Paused != nil {
		rec.Paused = *req.Paused
		changed = append(changed, "paused")
	}
	return changed, nil
}

func (s *Server) deletePipeline(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.store.DeletePipeline(r.Context(), name); err != nil {
		return err
	}
	s.audit(r, "pipeline.delete", name, "")
	s.pipelineChanged(r.Context(), name)
	if err := s.pruneClone(context.WithoutCancel(r.Context()), name); err != nil {
		s.log.Warn("remove clone", "pipeline", name, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// releaseRequest is the body of POST /pipelines/{name}/executions.
type releaseRequest struct {
	// Revision is a commit, tag or branch; empty: the branch head.
	Revision string `json:"revision"`
}

func (s *Server) releasePipeline(w http.ResponseWriter, r *http.Request) error {
	var req releaseRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	name := r.PathValue("name")
	id, err := s.Release(r.Context(), name, "manual "+actor(r), req.Revision)
	if err != nil {
		return err
	}
	info, err := s.eng.Execution(r.Context(), id)
	if err != nil {
		return err
	}
	s.audit(r, "execution.start", id, "pipeline "+name+" revision "+info.Revision)
	w.Header().Set("Location", "/api/v1/executions/"+url.PathEscape(id))
	return writeJSON(w, http.StatusCreated, executionInfoJSON(info))
}

// parsePollInterval reads a poll interval: a Go duration, "" or "0" for
// none, at least MinPollInterval otherwise.
func parsePollInterval(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w poll_interval %q: want a duration like 5m", pipeline.ErrInvalid, s)
	}
	if d > 0 && d < MinPollInterval {
		return 0, fmt.Errorf("%w poll_interval %s: at least %s", pipeline.ErrInvalid, d, MinPollInterval)
	}
	return d, nil
}

// checkRecord checks and normalizes the fields of rec but its name;
// an empty branch becomes the repository's default branch.
func (s *Server) checkRecord(ctx context.Context, rec *store.PipelineRecord) error {
	if err := checkRepo(rec.Repo); err != nil {
		return err
	}
	dir, err := cleanDir(rec.Dir)
	if err != nil {
		return err
	}
	rec.Dir = dir
	if len(rec.WebhookSecret) > maxWebhookSecret {
		return fmt.Errorf("%w webhook_secret: at most %d bytes", pipeline.ErrInvalid, maxWebhookSecret)
	}
	for field, globs := range map[string][]string{"filter.branches": rec.Filter.Branches,
		"filter.tags": rec.Filter.Tags, "filter.paths": rec.Filter.Paths} {
		for _, g := range globs {
			if !doublestar.ValidatePattern(g) {
				return fmt.Errorf("%w %s: %q is not a valid glob", pipeline.ErrInvalid, field, g)
			}
		}
	}
	if rec.Branch == "" {
		if rec.Branch, err = s.defaultBranch(ctx, rec.Repo); err != nil {
			return err
		}
	}
	rec.Branch = strings.TrimPrefix(rec.Branch, "refs/heads/")
	if !branchPattern.MatchString(rec.Branch) || strings.Contains(rec.Branch, "..") {
		return fmt.Errorf("%w branch %q", pipeline.ErrInvalid, rec.Branch)
	}
	return nil
}

// checkRepo accepts a URL, an scp-like address (git@host:path) or an
// absolute local path.
func checkRepo(repo string) error {
	switch {
	case repo == "":
		return fmt.Errorf("%w repo: required (a git URL or an absolute path)", pipeline.ErrInvalid)
	case strings.HasPrefix(repo, "-") || strings.ContainsAny(repo, "\x00\n\r"):
		return fmt.Errorf("%w repo %q", pipeline.ErrInvalid, repo)
	case strings.Contains(repo, "://"):
		u, err := url.Parse(repo)
		if err != nil || !slices.Contains([]string{"http", "https", "ssh", "git", "file"}, u.Scheme) {
			return fmt.Errorf("%w repo %q: want an http(s), ssh, git or file URL", pipeline.ErrInvalid, repourl.Display(repo))
		}
		return nil
	case filepath.IsAbs(repo):
		return nil
	}
	host, _, ok := strings.Cut(repo, ":")
	if ok && host != "" && !strings.Contains(host, "/") {
		return nil // scp-like: [user@]host:path
	}
	return fmt.Errorf("%w repo %q: a local path must be absolute", pipeline.ErrInvalid, repo)
}

// cleanDir normalizes a directory inside the repository: slash-separated,
// relative, without "..", "" for the top.
func cleanDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	c := path.Clean(strings.ReplaceAll(dir, "\\", "/"))
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w dir %q: want a folder inside the repository", pipeline.ErrInvalid, dir)
	}
	if c == "." {
		return "", nil
	}
	return c, nil
}
