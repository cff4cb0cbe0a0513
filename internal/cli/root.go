// Package cli implements secpipe's command line: it parses flags, builds the
// scanners, gates and reporters the user asked for, and maps outcomes to
// exit codes. Only this package (and cmd/secpipe) reads flags, environment
// variables and configuration files.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command. Scripts and CI systems rely on them.
const (
	ExitOK    = 0 // the command succeeded; for scans, the gate passed
	ExitGate  = 1 // a scan's gate failed
	ExitError = 2 // bad usage or a runtime error; a message names what was wrong
)

// Version is the secpipe version, set at link time with
// -ldflags "-X github.com/secpipe/secpipe/internal/cli.Version=v1.2.3".
var Version = "dev"

// errGateFailed is returned by scan commands whose gate failed; Run maps it
// to ExitGate without printing it as an error (the report already says why).
var errGateFailed = errors.New("gate failed")

// env is what a command may read from its surroundings; tests replace it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Run executes secpipe with args (without the program name), writing to
// stdout and stderr, and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errGateFailed), errors.Is(err, errRunFailed):
		return ExitGate
	default:
		fmt.Fprintf(stderr, "secpipe: %v\n", err)
		return ExitError
	}
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "secpipe",
		Short:         "secpipe runs a repository's pipeline and lets nothing insecure through",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %w", c.CommandPath(), err)}
	})
	root.AddCommand(newRunCmd(e), newStatusCmd(e), newLogsCmd(e), newFindingsCmd(e), newArtifactsCmd(e),
		newRetryCmd(e), newApproveCmd(e), newImportCmd(e), newImageCmd(e),
		newScanCmd(e), newSBOMCmd(e), newDBCmd(e), newThreatListCmd(e), newWorkerCmd(e), newVersionCmd(e))
	root.AddCommand(newServerCmd(e), newTokenCmd(e))
	root.AddCommand(newPipelineCmd(e))
	return root
}

// usageError marks an error in how the command was called.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print secpipe's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(e.stdout, "secpipe %s\n", Version)
			return err
		},
	}
}
