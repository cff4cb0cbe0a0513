package kubernetes

import (
	"testing"

	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

// BenchmarkChecks runs every check over a tree of 100 manifest files of
// real-world shape (two or three documents each), as one scan does.
func BenchmarkChecks(b *testing.B) {
	r, size := configtest.ReplicatedTree(b, []string{"testdata/realworld-helm-rendered.txtar", "testdata/realworld-hardened.txtar"}, "deploy/app%03d.yaml", 100)
	configtest.BenchFreshChecks(b, Checks, r, size)
}
