package cli

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// The values of --log-format.
const (
	logText = "text"
	logJSON = "json"
)

// registerLogFormat adds --log-format to the flags of a long-running
// command (server, worker).
func registerLogFormat(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "log-format", logText, "log `FORMAT`: text (key=value) or json (one object a line)")
}

// checkLogFormat refuses an unknown --log-format.
func checkLogFormat(format string) error {
	if format != logText && format != logJSON {
		return usageError{fmt.Errorf("--log-format %q: want text or json", format)}
	}
	return nil
}

// newLogger returns a logger writing records of level and above to w in
// format: slog's text handler (also for ""), or its JSON handler (time,
// level, msg and the attributes as one object a line).
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	if format == "" {
		format = logText
	}
	if err := checkLogFormat(format); err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == logJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
