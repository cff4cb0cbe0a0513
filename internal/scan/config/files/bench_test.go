package files

import (
	"testing"

	"github.com/secpipe/secpipe/internal/scan/config/configtest"
)

// BenchmarkChecks runs every check over a synthetic 20,000-entry root.
func BenchmarkChecks(b *testing.B) {
	configtest.BenchChecks(b, Checks(), configtest.SyntheticRoot(20000))
}

// BenchmarkRootFS runs every check over the root filesystem named by
// SECPIPE_BENCH_ROOTFS.
func BenchmarkRootFS(b *testing.B) { configtest.BenchRootFS(b, Checks()) }
