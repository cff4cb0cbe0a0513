package sbom

import (
	"context"
	"fmt"
	"log/slog"

	scalibrlog "github.com/google/osv-scalibr/log"
)

// ScalibrLogger returns a logger for osv-scalibr's process-wide log
// (scalibrlog.SetLogger), which otherwise writes to standard error. Its
// errors and warnings repeat what Collect reports as warnings (a missing
// os-release, a file an extractor could not parse), so every record goes
// to l at debug level. Only main should install it.
func ScalibrLogger(l *slog.Logger) scalibrlog.Logger { return scalibrLogger{l} }

// scalibrLogger adapts slog to scalibr's logger interface.
type scalibrLogger struct{ l *slog.Logger }

func (s scalibrLogger) log(level string, msg string) {
	s.l.Log(context.Background(), slog.LevelDebug, msg, "source", "scalibr", "scalibr_level", level)
}

func (s scalibrLogger) Errorf(format string, args ...any) {
	s.log("error", fmt.Sprintf(format, args...))
}
func (s scalibrLogger) Error(args ...any)                { s.log("error", fmt.Sprint(args...)) }
func (s scalibrLogger) Warnf(format string, args ...any) { s.log("warn", fmt.Sprintf(format, args...)) }
func (s scalibrLogger) Warn(args ...any)                 { s.log("warn", fmt.Sprint(args...)) }
func (s scalibrLogger) Infof(format string, args ...any) { s.log("info", fmt.Sprintf(format, args...)) }
func (s scalibrLogger) Info(args ...any)                 { s.log("info", fmt.Sprint(args...)) }
func (s scalibrLogger) Debugf(format string, args ...any) {
	s.log("debug", fmt.Sprintf(format, args...))
}
func (s scalibrLogger) Debug(args ...any) { s.log("debug", fmt.Sprint(args...)) }
