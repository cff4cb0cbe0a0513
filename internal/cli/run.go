package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// errRunFailed is returned when an execution ends other than succeeded;
// Run maps it to ExitGate without printing it (the summary says why).
var errRunFailed = errors.New("execution did not succeed")

// cancelGrace is how long an interrupted run waits for its actions to stop.
const cancelGrace = 30 * time.Second

func newRunCmd(e *env) *cobra.Command {
	var (
		file    string
		resume  bool
		verbose bool
		vars    []string
	)
	cmd := &cobra.Command{
		Use:   "run [DIR]",
		Short: "Run the pipeline of the repository at DIR (default .)",
		Long: `Run the pipeline that DIR/secpipe.yml describes, on this machine, with its
state (executions, logs, artifacts, findings) kept in DIR/.secpipe/.

Progress is printed per stage and action; --verbose streams the actions'
logs. Ctrl-C cancels the execution cleanly. A crash loses nothing:
secpipe run --resume continues the unfinished executions. Exit codes: 0 the
execution succeeded, 1 it failed or was cancelled, 2 bad usage or an error
(an invalid secpipe.yml names the file, line and field).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			overrides, err := parseVars(vars)
			if err != nil {
				return err
			}
			return runPipeline(cmd.Context(), e, runOptions{dir: dir, file: file, resume: resume, verbose: verbose,
				vars: overrides})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "pipeline `FILE` (default DIR/secpipe.yml)")
	f.BoolVar(&resume, "resume", false, "continue the unfinished executions of DIR instead of starting one")
	f.BoolVarP(&verbose, "verbose", "v", false, "stream the actions' logs")
	f.StringArrayVar(&vars, "var", nil, "set a pipeline variable: `NAME=VALUE` (repeatable)")
	return cmd
}

type runOptions struct {
	dir, file       string
	resume, verbose bool
	vars            map[string]string
}

// parseVars reads NAME=VALUE flags.
func parseVars(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Errorf("--var %q: want NAME=VALUE", kv)}
		}
		out[name] = value
	}
	return out, nil
}

func runPipeline(ctx context.Context, e *env, o runOptions) error {
	var p *pipeline.Pipeline
	if !o.resume {
		var err error
		if p, err = loadPipeline(o.dir, o.file); err != nil {
			return err
		}
	}
	log := cliLogger(e, false)
	l, err := openLocal(o.dir, true, log)
	if err != nil {
		return err
	}
	defer l.close()
	if err := l.lockRuns(); err != nil {
		return err
	}
	// Executions run on a context of their own: Ctrl-C cancels them
	// through the engine, so they end marked cancelled rather than cut.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	ids, err := l.eng.Resume(runCtx)
	if err != nil {
		return err
	}
	if !o.resume {
		id, err := l.eng.Start(runCtx, p, engine.StartOptions{RepoDir: l.repo, Variables: o.vars})
		if err != nil {
			return err
		}
		ids = append(ids, id)
	} else if len(ids) == 0 {
		fmt.Fprintln(e.stdout, "nothing to resume: every execution has finished")
		return nil
	}
	prog := newProgress(e, o.verbose)
	unsub := prog.follow(l.eng)
	defer unsub()
	if err := l.start(runCtx); err != nil {
		return err
	}
	failed := false
	for _, id := range ids {
		status, err := waitOrCancel(ctx, l, id)
		if err != nil {
			return err
		}
		prog.drain()
		info, err := l.eng.Execution(context.WithoutCancel(ctx), id)
		if err != nil {
			return err
		}
		printSummary(e, info)
		if err := printFindings(ctx, e, l, id); err != nil {
			return err
		}
		failed = failed || isFailure(status)
	}
	if failed {
		return errRunFailed
	}
	return nil
}

// waitOrCancel waits for execution id; when ctx ends first (Ctrl-C) it
// cancels the execution and waits for it to settle.
func waitOrCancel(ctx context.Context, l *local, id string) (pipeline.Status, error) {
	done := make(chan struct{})
	var status pipeline.Status
	var werr error
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	go func() {
		defer close(done)
		status, werr = l.wait(waitCtx, id)
	}()
	select {
	case <-done:
		return status, werr
	case <-ctx.Done():
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	if err := l.eng.Cancel(cctx, id); err != nil {
		return "", fmt.Errorf("cancel %s: %w", id, err)
	}
	select {
	case <-done:
		return status, werr
	case <-cctx.Done():
		return pipeline.StatusCancelled, nil
	}
}

// printSummary writes the final table: every action with its status,
// duration and findings, and the execution's outcome.
func printSummary(e *env, info engine.ExecutionInfo) {
	w := e.stdout
	fmt.Fprintf(w, "\nexecution %s of %s: %s in %s", info.ID, info.Pipeline, strings.ToUpper(string(info.Status)),
		info.Duration.Round(time.Millisecond))
	if info.Revision != "" {
		fmt.Fprintf(w, " (revision %s)", shortRev(info.Revision))
	}
	fmt.Fprintln(w)
	if info.Message != "" {
		fmt.Fprintf(w, "  %s\n", info.Message)
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "STAGE\tACTION\tSTATUS\tDURATION\tFINDINGS\tMESSAGE")
	for _, st := range info.Stages {
		if len(st.Actions) == 0 || st.Status == pipeline.StatusSkipped {
			fmt.Fprintf(tw, "%s\t-\t%s\t-\t-\t%s\n", st.Name, st.Status, oneLine(st.Message))
			continue
		}
		for _, a := range st.Actions {
			findings := "-"
			if a.Findings > 0 {
				findings = fmt.Sprint(a.Findings)
				if a.Suppressed > 0 {
					findings += fmt.Sprintf(" (%d suppressed)", a.Suppressed)
				}
			}
			dur := "-"
			if a.Duration > 0 {
				dur = a.Duration.Round(time.Millisecond).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, a.Action, a.Status, dur, findings, oneLine(a.Message))
		}
	}
	tw.Flush()
}

// oneLine shortens a message to its first line, at most 100 characters.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	if s == "" {
		return "-"
	}
	return s
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// maxSummaryFindings bounds the findings the run summary lists; secpipe
// findings EXECUTION prints them all.
const maxSummaryFindings = 20

// printFindings lists the findings that count (not suppressed) of an
// execution below its summary, so a failed gate shows what failed it.
func printFindings(ctx context.Context, e *env, l *local, id string) error {
	afs, err := l.eng.Findings(context.WithoutCancel(ctx), id)
	if err != nil {
		return err
	}
	// Most severe first: a failed gate's findings lead.
	slices.SortStableFunc(afs, func(a, b store.ActionFinding) int { return cmp.Compare(b.Finding.Severity, a.Finding.Severity) })
	var shown int
	tw := newTable(e.stdout)
	for _, af := range afs {
		f := af.Finding
		if f.Suppressed != nil {
			continue
		}
		if shown == 0 {
			fmt.Fprintln(e.stdout)
			fmt.Fprintln(tw, "SEVERITY\tRULE\tLOCATION\tEVIDENCE\tACTION")
		}
		shown++
		if shown > maxSummaryFindings {
			continue
		}
		evidence := f.Evidence
		if evidence == "" {
			evidence, _, _ = strings.Cut(f.Description, "\n")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s\n", f.Severity, f.RuleID, locationString(f.Location), orDash(oneLine(evidence)),
			af.Stage, af.Action)
	}
	tw.Flush()
	if shown > maxSummaryFindings {
		fmt.Fprintf(e.stdout, "... and %d more: secpipe findings %s\n", shown-maxSummaryFindings, id)
	}
	return nil
}

// locationString renders where a finding is: file:line, or
// package@version in a file.
func locationString(l pipeline.Location) string {
	s := l.String()
	if l.Path != "" && l.Package != "" {
		s += " " + l.Package + "@" + l.Version
	}
	return s
}
