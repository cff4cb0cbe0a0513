package sbom_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/internal/scan/sbom/extractors"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

// sharedBench returns ../shared/bench/NAME from the repository root,
// skipping when it is absent (failing under CI, which always has it).
func sharedBench(tb testing.TB, name string) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "bench", name)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("shared benchmark data %s is missing: %v", dir, err)
		}
		tb.Skipf("shared benchmark data %s is missing: %v", dir, err)
	}
	return dir
}

// BenchmarkCollectVulnsInputs takes the inventory of the 21 go.mod and
// go.sum files of the vulnerability-scan benchmark, with every extractor.
func BenchmarkCollectVulnsInputs(b *testing.B) {
	dir := sharedBench(b, "vulns-inputs")
	ex := extractors.Default()
	var pkgs int
	for b.Loop() {
		root, err := rootfs.NewDirRoot(dir, rootfs.SourceSkip()...)
		if err != nil {
			b.Fatal(err)
		}
		inv, err := sbom.Collect(context.Background(), root, rootfs.Source, sbom.Config{Extractors: ex})
		if err != nil {
			b.Fatal(err)
		}
		pkgs = len(inv.Packages)
		root.Close()
	}
	b.ReportMetric(float64(pkgs), "packages")
}
