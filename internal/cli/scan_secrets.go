package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/scan/secrets"
)

func newScanSecretsCmd(e *env) *cobra.Command {
	var (
		g         gateFlags
		cfg       secrets.Config
		rulesFile string
		listRules bool
		verbose   bool
	)
	cmd := &cobra.Command{
		Use:   "secrets [PATH]",
		Short: "Find leaked credentials in files or git history",
		Long: `Find leaked credentials in every file under PATH (default: the current
directory), or in a repository's history with --git, or in the staged
changes with --staged (for a pre-commit hook).

Archives (zip, tar, gzip) and base64 blobs are decoded and scanned; binary
files are skipped. Secrets are never printed in full: reports show at most
their first four characters.

A line holding "secpipe:ignore" (optionally followed by rule IDs, comma
separated) is not reported as failing.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if listRules {
				return printRules(e, cfg.Rules)
			}
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			if cfg.Git && cfg.Staged {
				return usageError{fmt.Errorf("--git and --staged exclude each other")}
			}
			if err := checkTarget(target); err != nil {
				return err
			}
			cfg.Rules = secrets.Rules()
			if rulesFile != "" {
				extra, err := secrets.LoadRules(rulesFile)
				if err != nil {
					return err
				}
				cfg.Rules = append(cfg.Rules, extra...)
			}
			ids := map[string]bool{}
			for _, r := range cfg.Rules {
				ids[r.ID] = true
			}
			cfg.Logger = cliLogger(e, verbose)
			sc, err := secrets.New(cfg)
			if err != nil {
				return err
			}
			return runScan(cmd.Context(), e, scanJob{scanner: sc, target: target, root: target, flags: &g, rules: ids})
		},
	}
	g.register(cmd, "low")
	f := cmd.Flags()
	f.BoolVar(&cfg.Git, "git", false, "scan the repository's history: the lines each commit added")
	f.BoolVar(&cfg.Staged, "staged", false, "scan the changes staged in the index (pre-commit use)")
	f.StringSliceVar(&cfg.LogOpts, "log-opts", nil, "extra `ARGS` for git log with --git, e.g. --log-opts=--all or --log-opts=v1.0..HEAD")
	f.StringSliceVar(&cfg.Exclude, "exclude", nil, "skip paths matching `GLOB` (doublestar syntax, relative to PATH); repeatable")
	f.StringVar(&rulesFile, "rules", "", "YAML `FILE` of extra rules added to the built-in ones")
	f.Int64Var(&cfg.MaxFileSize, "read-whole-limit", 0, "files larger than `BYTES` are streamed in chunks (default 1 MiB)")
	f.IntVar(&cfg.MaxArchiveDepth, "max-archive-depth", 0, "how deep nested archives are opened (default 2; -1 disables archive scanning)")
	f.IntVarP(&cfg.Workers, "jobs", "j", 0, "files scanned in parallel (default: number of CPUs)")
	f.BoolVar(&listRules, "list-rules", false, "print the rule catalogue and exit")
	f.BoolVarP(&verbose, "verbose", "v", false, "log skipped files and progress to standard error")
	return cmd
}

// printRules prints the rule catalogue: id, severity and title.
func printRules(e *env, rules []secrets.Rule) error {
	if rules == nil {
		rules = secrets.Rules()
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Title)
	}
	fmt.Fprintf(tw, "\n%d rules\n", len(rules))
	return tw.Flush()
}
