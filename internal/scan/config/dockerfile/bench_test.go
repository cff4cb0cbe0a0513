package dockerfile

import (
	"testing"

	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

// BenchmarkChecks runs every check over a tree of 100 Dockerfiles of
// real-world shape, as one scan does.
func BenchmarkChecks(b *testing.B) {
	r, size := configtest.ReplicatedTree(b, []string{"testdata/realworld-go-service.txtar", "testdata/realworld-node-legacy.txtar"}, "services/s%03d/Dockerfile", 100)
	configtest.BenchFreshChecks(b, Checks, r, size)
}
