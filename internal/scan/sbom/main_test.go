package sbom_test

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"

	scalibrlog "github.com/google/osv-scalibr/log"

	"github.com/secpipe/secpipe/internal/scan/sbom"
)

// TestMain quiets scalibr's process-wide log, as main does, so that test
// output shows only failures.
func TestMain(m *testing.M) {
	scalibrlog.SetLogger(sbom.ScalibrLogger(slog.New(slog.DiscardHandler)))
	os.Exit(m.Run())
}

func TestScalibrLogger(t *testing.T) {
	var buf bytes.Buffer
	l := sbom.ScalibrLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Errorf("osrelease.ParseOsRelease(): %v", "file does not exist")
	l.Warn("empty", " name")
	got := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="osrelease.ParseOsRelease(): file does not exist" source=scalibr scalibr_level=error`,
		`level=DEBUG msg="empty name" source=scalibr scalibr_level=warn`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log = %q, want a record %q", got, want)
		}
	}
}
