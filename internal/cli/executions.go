package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
)

// withLocal opens the state of the repository at dir for a command that
// reads or changes it, and closes it afterwards.
func withLocal(e *env, dir string, fn func(l *local) error) error {
	l, err := openLocal(dir, false, cliLogger(e, false))
	if err != nil {
		return err
	}
	defer l.close()
	return fn(l)
}

func newStatusCmd(e *env) *cobra.Command {
	var dir string
	var limit int
	cmd := &cobra.Command{
		Use:   "status [EXECUTION]",
		Short: "List the executions of a repository, or show one (latest = the newest)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLocal(e, dir, func(l *local) error {
				if len(args) == 1 {
					info, err := l.eng.Execution(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					printSummary(e, info)
					return nil
				}
				xs, err := l.eng.List(cmd.Context(), limit)
				if err != nil {
					return err
				}
				tw := newTable(e.stdout)
				fmt.Fprintln(tw, "EXECUTION\tPIPELINE\tSTATUS\tSTARTED\tDURATION\tREVISION\tMESSAGE")
				for _, x := range xs {
					dur := "-"
					if !x.Started.IsZero() && !x.Finished.IsZero() {
						dur = x.Finished.Sub(x.Started).Round(time.Millisecond).String()
					}
					started := "-"
					if !x.Started.IsZero() {
						started = x.Started.Local().Format(time.DateTime)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Pipeline, x.Status, started, dur,
						orDash(shortRev(x.Revision)), oneLine(x.Message))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the repository `DIR`")
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "list at most `N` executions (0 for all)")
	return cmd
}

func newLogsCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "logs EXECUTION [ACTION]",
		Short: "Print the logs of an execution's actions (ACTION or STAGE/ACTION)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLocal(e, dir, func(l *local) error {
				info, err := l.eng.Execution(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				want := ""
				if len(args) == 2 {
					want = args[1]
				}
				found := false
				for _, st := range info.Stages {
					for _, a := range st.Actions {
						if want != "" && want != a.Action && want != st.Name+"/"+a.Action {
							continue
						}
						found = true
						if err := printLog(e.stdout, l.eng.LogPath(info.ID, st.Name, a.Action), st.Name+"/"+a.Action, want == ""); err != nil {
							return err
						}
					}
				}
				if !found {
					return fmt.Errorf("execution %s has no action %q: %w", info.ID, want, pipeline.ErrNotFound)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the repository `DIR`")
	return cmd
}

// printLog copies one action log to w, under a header when several are
// printed; an action that never ran has no log.
func printLog(w io.Writer, path, name string, header bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if header {
			fmt.Fprintf(w, "==> %s <==\n(no log: the action did not run)\n\n", name)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if header {
		fmt.Fprintf(w, "==> %s <==\n", name)
	}
	w.Write(data)
	if header {
		fmt.Fprintln(w)
	}
	return nil
}

func newFindingsCmd(e *env) *cobra.Command {
	var dir, format, output string
	cmd := &cobra.Command{
		Use:   "findings EXECUTION",
		Short: "Print the findings an execution's scan actions stored",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			writer, err := report.New(format, report.Options{Color: e.colour(&gateFlags{output: output})})
			if err != nil {
				return usageError{fmt.Errorf("--format: %w", err)}
			}
			return withLocal(e, dir, func(l *local) error {
				info, err := l.eng.Execution(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				afs, err := l.eng.Findings(cmd.Context(), info.ID)
				if err != nil {
					return err
				}
				rep := &report.Report{
					Tool:    report.Tool{Name: "secpipe", Version: Version, InformationURI: "https://github.com/secpipe/secpipe"},
					Scanner: "pipeline", Target: info.ID, Started: info.Started, Finished: info.Finished,
				}
				for _, af := range afs {
					rep.Findings = append(rep.Findings, af.Finding)
				}
				sortFindings(rep.Findings)
				return writeReport(e, &gateFlags{output: output}, writer, rep)
			})
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the repository `DIR`")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "report format: "+strings.Join(report.Formats(), ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the report to `FILE`")
	return cmd
}

func newArtifactsCmd(e *env) *cobra.Command {
	var dir, extract string
	cmd := &cobra.Command{
		Use:   "artifacts EXECUTION [NAME]",
		Short: "List an execution's artifacts, or unpack one with --extract DIR",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if extract != "" && len(args) != 2 {
				return usageError{errors.New("--extract needs the artifact NAME")}
			}
			return withLocal(e, dir, func(l *local) error {
				arts, err := l.eng.Artifacts(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if len(args) == 2 {
					i := slices.IndexFunc(arts, func(a engine.ArtifactInfo) bool { return a.Name == args[1] })
					if i < 0 {
						return fmt.Errorf("artifact %q: %w", args[1], pipeline.ErrNotFound)
					}
					arts = arts[i : i+1]
				}
				if extract != "" {
					store, err := openArtifacts(l)
					if err != nil {
						return err
					}
					if err := store.Extract(cmd.Context(), arts[0].Digest, extract); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "extracted %s (%s) to %s\n", arts[0].Name, arts[0].Digest, extract)
					return nil
				}
				tw := newTable(e.stdout)
				fmt.Fprintln(tw, "ARTIFACT\tSTAGE\tACTION\tDIGEST")
				for _, a := range arts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Stage, a.Action, a.Digest)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the repository `DIR`")
	cmd.Flags().StringVar(&extract, "extract", "", "unpack the artifact NAME into `DIR`")
	return cmd
}

func newRetryCmd(e *env) *cobra.Command {
	var dir, stage string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "retry EXECUTION",
		Short: "Rerun the failed actions of a stage with the same artifacts, and continue the execution",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return resumeWith(cmd.Context(), e, dir, verbose, func(ctx context.Context, l *local) (string, error) {
				info, err := l.eng.Execution(ctx, args[0])
				if err != nil {
					return "", err
				}
				return info.ID, l.eng.Retry(ctx, info.ID, stage)
			})
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the repository `DIR`")
	cmd.Flags().StringVar(&stage, "stage", "", "the `STAGE` to retry (default: the failed one)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "stream the actions' logs")
	return cmd
}

func newApproveCmd(e *env) *cobra.Command {
	var dir, reason string
	var reject bool
	cmd := &cobra.Command{
		Use:   "approve EXECUTION ACTION",
		Short: "Approve (or --reject) a manual approval action that is waiting",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageError{errors.New("--reason is required: say why, for the audit trail")}
			}
			return withLocal(e, dir, func(l *local) error {
				info, err := l.eng.Execution(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := l.eng.Approve(cmd.Context(), info.ID, args[1], reason, !reject); err != nil {
					return err
				}
				verb := "approved"
				if reject {
					verb = "rejected"
				}
				fmt.Fprintf(e.stdout, "%s %s of execution %s\n", verb, args[1], info.ID)
				if info.Status.Terminal() {
					return nil
				}
				fmt.Fprintln(e.stdout, "a running `secpipe run` picks this up; if none is running, continue with `secpipe run --resume`")
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the repository `DIR`")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; recorded with the decision)")
	cmd.Flags().BoolVar(&reject, "reject", false, "reject instead of approve: the action fails")
	return cmd
}

// resumeWith opens the repository's engine, applies change (which names
// the execution it changed), then runs the dispatcher until that execution
// ends, as secpipe run does.
func resumeWith(ctx context.Context, e *env, dir string, verbose bool,
	change func(context.Context, *local) (string, error)) error {
	l, err := openLocal(dir, false, cliLogger(e, false))
	if err != nil {
		return err
	}
	defer l.close()
	if err := l.lockRuns(); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	if _, err := l.eng.Resume(runCtx); err != nil {
		return err
	}
	id, err := change(runCtx, l)
	if err != nil {
		return err
	}
	prog := newProgress(e, verbose)
	unsub := prog.follow(l.eng)
	defer unsub()
	if err := l.start(runCtx); err != nil {
		return err
	}
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
	if isFailure(status) {
		return errRunFailed
	}
	return nil
}

// openArtifacts opens the repository's artifact store.
func openArtifacts(l *local) (*artifact.Store, error) {
	return artifact.Open(filepath.Join(l.state, "artifacts"))
}
