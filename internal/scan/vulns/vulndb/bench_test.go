package vulndb

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/scan/vulns/match"
)

// goVulnDB is the Go vulnerability database's all.zip in the shared data.
func goVulnDB(b *testing.B) string {
	return filepath.Join(sharedData(b), "go-vulndb", "all.zip")
}

// BenchmarkImportGoVulnDB imports the Go vulnerability database (4,789
// records) into a fresh directory: read, check, parse, compile, swap.
func BenchmarkImportGoVulnDB(b *testing.B) {
	src := goVulnDB(b)
	root := b.TempDir()
	b.ReportAllocs()
	i, records := 0, 0
	start := time.Now()
	for b.Loop() {
		i++
		m, err := Import(context.Background(), filepath.Join(root, fmt.Sprint(i)), []string{src}, ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		records = m.Total
	}
	b.ReportMetric(float64(records*b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkLookupGo opens the compiled Go database, looks up 1,500 Go
// module paths and closes it. The paths are every module some advisory
// names (1,451 in this snapshot; a worst case, as each lookup reads and
// parses records), then unknown ones. cpu-s/op is user plus system CPU
// time; hits/op the advisories returned.
func BenchmarkLookupGo(b *testing.B) {
	dir := b.TempDir()
	mustImport(b, dir, goVulnDB(b))
	pkgs := goModules(b, dir, 1500)
	b.ReportAllocs()
	hits := 0
	cpu := cpuTime()
	for b.Loop() {
		hits = lookupAll(b, dir, pkgs)
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(hits), "hits/op")
	b.ReportMetric(float64(liveHeap(b, dir, pkgs)), "live-heap-B")
	b.ReportMetric(float64(liveHeap(b, dir, nil)), "open-heap-B")
}

// liveHeap is the heap an open database holds after looking pkgs up.
func liveHeap(b *testing.B, dir string, pkgs []match.Package) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	db, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, p := range pkgs {
		if _, err := db.Advisories(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(db)
	return after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
}

// lookupAll opens dir, looks every package up and closes it.
func lookupAll(b *testing.B, dir string, pkgs []match.Package) int {
	db, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hits := 0
	for _, p := range pkgs {
		vs, err := db.Advisories(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		hits += len(vs)
	}
	return hits
}

// goModules returns n Go module paths: those the database in dir indexes
// (at most n, spread evenly), then made-up ones.
func goModules(b *testing.B, dir string, n int) []match.Package {
	db, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var names []string
	for _, s := range db.sources {
		for i := range s.nkey {
			if name, ok := strings.CutPrefix(string(s.key(i)), "Go\x00"); ok {
				names = append(names, name)
			}
		}
	}
	pkgs := make([]match.Package, n)
	for i := range pkgs {
		name := fmt.Sprintf("example.com/unknown/m%d", i)
		if len(names) >= n {
			name = names[i*len(names)/n]
		} else if i < len(names) {
			name = names[i]
		}
		pkgs[i] = match.Package{Ecosystem: "Go", Name: name, Version: "v0.0.1"}
	}
	return pkgs
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
