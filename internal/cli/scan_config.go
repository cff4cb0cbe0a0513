package cli

import (
	"fmt"
	"log/slog"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/auth"
	"github.com/secpipe/secpipe/internal/scan/config/dockerfile"
	"github.com/secpipe/secpipe/internal/scan/config/files"
	"github.com/secpipe/secpipe/internal/scan/config/kernel"
	"github.com/secpipe/secpipe/internal/scan/config/kubernetes"
	"github.com/secpipe/secpipe/internal/scan/config/ssh"
	"github.com/secpipe/secpipe/internal/scan/config/system"
)

// configChecks is the explicit list of configuration checks: one line per
// group package.
func configChecks() []config.Check {
	return slices.Concat(
		ssh.Checks(),
		auth.Checks(),
		kernel.Checks(),
		files.Checks(),
		system.Checks(),
		dockerfile.Checks(),
		kubernetes.Checks(),
	)
}

func newScanConfigCmd(e *env) *cobra.Command {
	var (
		g         gateFlags
		listRules bool
		verbose   bool
		kind      string
	)
	cmd := &cobra.Command{
		Use:   "config TARGET",
		Short: "Check an image's root filesystem, Dockerfiles and manifests against benchmarks",
		Long: `Check configuration statically against CIS-style benchmarks.

TARGET is a root filesystem directory, a rootfs tarball (tar or tar.gz), an
OCI image layout (oci:DIR[:TAG]), or a source tree. A root filesystem gets
the operating-system checks (SSH, PAM and passwords, accounts, permissions,
services, kernel settings, logging, mounts, package manager); a source tree
gets the Dockerfile and Kubernetes manifest checks. Settings only the running
system decides (a kernel default nothing in the image overrides) are reported
as info findings "not determinable statically", never guessed.`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if listRules {
				return printChecks(e, configChecks())
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("scan config: a TARGET is required (a rootfs directory, tarball, oci:DIR[:TAG] or source tree)")}
			}
			cfg := config.Config{Checks: configChecks(), Logger: cliLogger(e, verbose)}
			ids := map[string]bool{}
			for _, c := range cfg.Checks {
				ids[c.ID] = true
			}
			switch kind {
			case "", "auto":
			case "rootfs":
				cfg.Kind = config.TargetRootFS
			case "source":
				cfg.Kind = config.TargetSource
			default:
				return usageError{fmt.Errorf("--as %q: want auto, rootfs or source", kind)}
			}
			sc, err := config.New(cfg)
			if err != nil {
				return err
			}
			return runScan(cmd.Context(), e, scanJob{scanner: sc, target: args[0], root: localRoot(args[0]), flags: &g, rules: ids})
		},
	}
	g.register(cmd, "high")
	f := cmd.Flags()
	f.StringVar(&kind, "as", "auto", "treat TARGET as `KIND`: auto, rootfs or source")
	f.BoolVar(&listRules, "list-rules", false, "print the check catalogue and exit")
	f.BoolVarP(&verbose, "verbose", "v", false, "log passing and not-applicable checks to standard error")
	return cmd
}

// printChecks prints the check catalogue: id, group, severity and title.
func printChecks(e *env, checks []config.Check) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tGROUP\tTARGET\tSEVERITY\tTITLE")
	for _, c := range checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Group, c.Target, c.Severity, c.Title)
	}
	fmt.Fprintf(tw, "\n%d checks\n", len(checks))
	return tw.Flush()
}

// cliLogger logs warnings to standard error, and debug lines with -v.
func cliLogger(e *env, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}
