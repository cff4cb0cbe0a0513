package osv

import (
	"archive/zip"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkParseGoVulnDB parses every record of the Go vulnerability
// database's all.zip, already decompressed in memory.
func BenchmarkParseGoVulnDB(b *testing.B) {
	recs := zipRecords(b, filepath.Join(sharedData(b), "go-vulndb", "all.zip"))
	size := 0
	for _, r := range recs {
		size += len(r.data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		for _, r := range recs {
			if _, _, err := ParseLenient(r.name, r.data); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRecords(b, len(recs), start)
}

// BenchmarkImportGoVulnDB opens the all.zip, decompresses and parses every
// record: the reading half of `secpipe db import`.
func BenchmarkImportGoVulnDB(b *testing.B) {
	path := filepath.Join(sharedData(b), "go-vulndb", "all.zip")
	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		n = importZip(b, path)
	}
	reportRecords(b, n, start)
}

func importZip(b *testing.B, path string) int {
	z, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ParseLenient(f.Name, data); err != nil {
			b.Fatal(err)
		}
	}
	return len(z.File)
}

// reportRecords adds records/s and the records per pass to the results.
func reportRecords(b *testing.B, records int, start time.Time) {
	elapsed := time.Since(start).Seconds()
	if elapsed > 0 {
		b.ReportMetric(float64(records*b.N)/elapsed, "records/s")
	}
	b.ReportMetric(float64(records), "records/op")
}
