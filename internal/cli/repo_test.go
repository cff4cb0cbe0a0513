package cli

import (
	"bytes"
	"context"
	"testing"
)

// TestRepositoryHasNoSecrets scans secpipe's own tree with its own
// .secpipeignore: everything it finds must be a documented fixture.
func TestRepositoryHasNoSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the whole repository")
	}
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"scan", "secrets", "../..", "--no-color"}, &out, &errb)
	if code != ExitOK {
		t.Errorf("secpipe scan secrets on the repository = exit %d, want 0\n%s%s", code, out.String(), errb.String())
	}
}
