package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/server/trigger"
	"github.com/secpipe/secpipe/internal/store"
)

// minPollInterval is the shortest poll interval `pipeline add` accepts:
// polling a forge more often than this is abuse.
const minPollInterval = 10 * time.Second

// pipelineNamePattern is what a registered pipeline may be called: it is
// part of the webhook URL and of directory names on the server.
var pipelineNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

func newPipelineCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Register the pipelines a server runs, and what starts them",
		Long: `Register repositories with a server: it runs their secpipe.yml when they
change, by polling (--poll) or when their forge sends a push webhook
(docs/triggers.md). These commands open the server's state directly
(--data DIR or --database URL, as secpipe server does), so they work while
the server runs and before its first start.`,
	}
	cmd.AddCommand(newPipelineAddCmd(e), newPipelineListCmd(e), newPipelineRemoveCmd(e),
		newPipelinePauseCmd(e, true), newPipelinePauseCmd(e, false))
	return cmd
}

// addOptions are the flags of `pipeline add`.
type addOptions struct {
	state      stateFlags
	name       string
	branch     string
	dir        string
	poll       time.Duration
	secret     string
	secretFile string
	filter     store.PushFilter
}

func newPipelineAddCmd(e *env) *cobra.Command {
	var o addOptions
	cmd := &cobra.Command{
		Use:   "add REPO_URL|PATH",
		Short: "Register a repository's pipeline",
		Long: `Register the pipeline of a git repository (a URL or a local path). Its name
is the name in secpipe.yml on the branch unless --name gives another.

A pipeline with --poll is polled for new commits on its branch; with a
webhook secret it accepts push webhooks at POST /api/v1/webhooks/NAME.
Pushes of other branches start it when they match a --branches glob, tags
when they match a --tags glob; with --paths, a push must change a matching
file. Globs are doublestar patterns: "release/*", "v*", "app/**".`,
		Example: `  secpipe pipeline add https://github.com/acme/app.git --poll 2m
  secpipe pipeline add git@github.com:acme/app.git --webhook-secret-file hook.secret --paths 'app/**'
  secpipe pipeline add ./app --name app-dev --branch develop --poll 1m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return addPipeline(cmd.Context(), e, args[0], o)
		},
	}
	o.state.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "pipeline `NAME` (default: the name in secpipe.yml)")
	f.StringVar(&o.branch, "branch", "main", "`BRANCH` the pipeline follows")
	f.StringVar(&o.dir, "dir", "", "folder `DIR` of secpipe.yml inside the repository (default: the top)")
	f.DurationVar(&o.poll, "poll", 0, "poll the branch every `INTERVAL` (at least 10s; default: no polling)")
	f.StringVar(&o.secret, "webhook-secret", "", "webhook `SECRET` (visible to other users of this machine: prefer the file)")
	f.StringVar(&o.secretFile, "webhook-secret-file", "", "read the webhook secret from `FILE` (- for standard input)")
	f.StringArrayVar(&o.filter.Branches, "branches", nil, "also start on pushes to branches matching `GLOB` (repeatable)")
	f.StringArrayVar(&o.filter.Tags, "tags", nil, "start on pushed tags matching `GLOB` (repeatable)")
	f.StringArrayVar(&o.filter.Paths, "paths", nil, "start only on pushes changing a file matching `GLOB` (repeatable)")
	cmd.MarkFlagsMutuallyExclusive("webhook-secret", "webhook-secret-file")
	return cmd
}

// addPipeline registers the pipeline of repo and starts its poll chain.
func addPipeline(ctx context.Context, e *env, repo string, o addOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	secret, err := o.readSecret(e)
	if err != nil {
		return err
	}
	src, err := resolveRepo(repo)
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		if name, err = src.pipelineName(ctx, o.branch, o.dir); err != nil {
			return err
		}
	} else if err := src.checkBranch(ctx, o.branch); err != nil {
		return err
	}
	if !pipelineNamePattern.MatchString(name) {
		return usageError{fmt.Errorf("pipeline name %q: use letters, digits and . _ - (at most 100), "+
			"starting with a letter or digit (--name sets another)", name)}
	}
	now := time.Now().UTC()
	rec := store.PipelineRecord{Name: name, Repo: src.repo, Branch: o.branch, Dir: strings.Trim(o.dir, "/"),
		PollInterval: o.poll, WebhookSecret: secret, Filter: o.filter, Created: now, Updated: now}
	return withState(ctx, e, &o.state, func(st *serverState) error {
		disp, err := st.dispatcher(slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		err = st.store.Update(ctx, func(tx store.Tx) error {
			if err := tx.CreatePipeline(ctx, rec); err != nil {
				if errors.Is(err, pipeline.ErrInvalid) {
					return fmt.Errorf("a pipeline named %s is registered already (secpipe pipeline rm %s, or --name)",
						name, name)
				}
				return err
			}
			if err := trigger.Arm(ctx, tx, disp, &rec, now, 0); err != nil {
				return err
			}
			return tx.AddAudit(ctx, &store.AuditEntry{At: now, Actor: "local", Action: "pipeline.create",
				Target: name, Detail: "repo " + src.display + " branch " + rec.Branch})
		})
		if err != nil {
			return err
		}
		printAdded(e.stdout, rec, src.display)
		return nil
	})
}

// check validates the flags of `pipeline add`.
func (o *addOptions) check() error {
	if o.poll < 0 || (o.poll > 0 && o.poll < minPollInterval) {
		return usageError{fmt.Errorf("--poll %s: at least %s (or 0 for no polling)", o.poll, minPollInterval)}
	}
	o.branch = strings.TrimPrefix(o.branch, "refs/heads/")
	if o.branch == "" || strings.HasPrefix(o.branch, "-") || strings.ContainsAny(o.branch, " \t\n:~^?*[\\") ||
		strings.Contains(o.branch, "..") {
		return usageError{fmt.Errorf("--branch %q is not a branch name", o.branch)}
	}
	if strings.HasPrefix(o.dir, "/") || o.dir == ".." || strings.HasPrefix(o.dir, "../") ||
		strings.Contains(o.dir, "/../") {
		return usageError{fmt.Errorf("--dir %q: want a folder inside the repository", o.dir)}
	}
	for flag, globs := range map[string][]string{"--branches": o.filter.Branches, "--tags": o.filter.Tags,
		"--paths": o.filter.Paths} {
		for _, g := range globs {
			if !doublestar.ValidatePattern(g) {
				return usageError{fmt.Errorf("%s %q is not a valid glob", flag, g)}
			}
		}
	}
	return nil
}

// maxSecret bounds a webhook secret, as the server's API does.
const maxSecret = 256

// readSecret returns the webhook secret from the flag or the file.
func (o *addOptions) readSecret(e *env) (string, error) {
	secret := o.secret
	if o.secretFile != "" {
		var data []byte
		var err error
		if o.secretFile == "-" {
			data, err = io.ReadAll(io.LimitReader(os.Stdin, maxSecret+2))
		} else {
			data, err = os.ReadFile(o.secretFile)
		}
		if err != nil {
			return "", fmt.Errorf("--webhook-secret-file: %w", err)
		}
		secret = strings.TrimRight(string(data), "\r\n")
		if secret == "" {
			return "", usageError{fmt.Errorf("--webhook-secret-file %s is empty", o.secretFile)}
		}
	}
	if len(secret) > maxSecret {
		return "", usageError{fmt.Errorf("the webhook secret is longer than %d bytes", maxSecret)}
	}
	return secret, nil
}

// printAdded says what was registered and how it will start.
func printAdded(w io.Writer, rec store.PipelineRecord, repo string) {
	fmt.Fprintf(w, "pipeline %s registered: %s, branch %s\n", rec.Name, repo, rec.Branch)
	if rec.PollInterval > 0 {
		fmt.Fprintf(w, "  polls every %s\n", rec.PollInterval)
	}
	if rec.WebhookSecret != "" {
		fmt.Fprintf(w, "  webhook: POST /api/v1/webhooks/%s (see docs/triggers.md)\n", rec.Name)
	}
	if rec.PollInterval == 0 && rec.WebhookSecret == "" {
		fmt.Fprintln(w, "  no trigger: start it from the API, or add --poll or a webhook secret")
	}
}

func newPipelineListCmd(e *env) *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the registered pipelines",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withState(cmd.Context(), e, &f, func(st *serverState) error {
				recs, err := st.store.Pipelines(cmd.Context())
				if err != nil {
					return err
				}
				printPipelines(e.stdout, recs)
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}

// printPipelines writes the pipeline table. Secrets show as "yes".
func printPipelines(w io.Writer, recs []store.PipelineRecord) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "no pipelines (register one: secpipe pipeline add REPO)")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tREPO\tBRANCH\tDIR\tPOLL\tWEBHOOK\tFILTERS\tLAST REVISION\tSTATE")
	for _, r := range recs {
		poll := "-"
		if r.PollInterval > 0 {
			poll = r.PollInterval.String()
		}
		hook := "no"
		if r.WebhookSecret != "" {
			hook = "yes"
		}
		state := "active"
		if r.Paused {
			state = "paused"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, displayRepoURL(r.Repo), r.Branch,
			orDash(r.Dir), poll, hook, orDash(filterSummary(r.Filter)), orDash(shortRevision(r.LastRevision)), state)
	}
	tw.Flush()
}

// filterSummary renders a push filter compactly: branches:a,b tags:v*.
func filterSummary(f store.PushFilter) string {
	var parts []string
	for _, p := range []struct {
		name  string
		globs []string
	}{{"branches", f.Branches}, {"tags", f.Tags}, {"paths", f.Paths}} {
		if len(p.globs) > 0 {
			parts = append(parts, p.name+":"+strings.Join(p.globs, ","))
		}
	}
	return strings.Join(parts, " ")
}

func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func newPipelineRemoveCmd(e *env) *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove"},
		Short:   "Unregister a pipeline (its executions stay)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return withState(ctx, e, &f, func(st *serverState) error {
				err := st.store.Update(ctx, func(tx store.Tx) error {
					if err := tx.DeletePipeline(ctx, name); err != nil {
						return noPipeline(name, err)
					}
					return tx.AddAudit(ctx, &store.AuditEntry{At: time.Now().UTC(), Actor: "local",
						Action: "pipeline.delete", Target: name})
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "pipeline %s removed\n", name)
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}

// newPipelinePauseCmd builds `pipeline pause` (pause set) or `pipeline
// resume`.
func newPipelinePauseCmd(e *env, pause bool) *cobra.Command {
	var f stateFlags
	use, short, action := "resume NAME", "Let triggers start a paused pipeline again", "pipeline.resume"
	if pause {
		use, short, action = "pause NAME", "Stop triggers (polls, webhooks) from starting a pipeline", "pipeline.pause"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, name := cmd.Context(), args[0]
			return withState(ctx, e, &f, func(st *serverState) error {
				disp, err := st.dispatcher(slog.New(slog.DiscardHandler))
				if err != nil {
					return err
				}
				changed := false
				err = st.store.Update(ctx, func(tx store.Tx) error {
					rec, err := tx.Pipeline(ctx, name)
					if err != nil || rec.Paused == pause {
						return noPipeline(name, err)
					}
					changed = true
					rec.Paused = pause
					// A new stamp ends the poll chain; resuming starts
					// a new one, polling at once.
					if err := trigger.Arm(ctx, tx, disp, &rec, time.Now(), 0); err != nil {
						return err
					}
					return tx.AddAudit(ctx, &store.AuditEntry{At: time.Now().UTC(), Actor: "local",
						Action: action, Target: name})
				})
				if err != nil {
					return err
				}
				state := map[bool]string{true: "paused", false: "active"}[pause]
				if !changed {
					fmt.Fprintf(e.stdout, "pipeline %s is %s already\n", name, state)
					return nil
				}
				fmt.Fprintf(e.stdout, "pipeline %s %s\n", name, map[bool]string{true: "paused", false: "resumed"}[pause])
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}

// noPipeline words a missing pipeline for the user.
func noPipeline(name string, err error) error {
	if errors.Is(err, pipeline.ErrNotFound) {
		return fmt.Errorf("no pipeline %s (secpipe pipeline ls lists them): %w", name, pipeline.ErrNotFound)
	}
	return err
}
