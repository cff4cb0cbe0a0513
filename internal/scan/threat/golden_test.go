package threat

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixtureConfig() Config {
	return Config{
		Intel: fakeIntel{
			domains: map[string]intel.Category{"guarddutyc2activityb.com": intel.CategoryC2, "supportxmr.com": intel.CategoryMining, "bad.example": intel.CategoryCustom},
			ips:     map[netip.Addr]intel.Category{netip.MustParseAddr("203.0.113.7"): intel.CategoryCustom},
		},
		AllowedPorts: []int{80, 443, 8080, 53},
		Manifest:     map[string]bool{"/usr/local/bin/entrypoint": true, "/usr/sbin/nginx": true, "/bin/sh": true, "/bin/bash": true, "/bin/busybox": true, "/usr/bin/apt-get": true},
	}
}

func scanFile(t *testing.T, name string) []pipeline.Finding {
	t.Helper()
	var got []pipeline.Finding
	s := NewScanner(fixtureConfig(), ReadOptions{}, nil)
	if err := s.Scan(context.Background(), filepath.Join("testdata", name), func(f pipeline.Finding) error {
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatalf("Scan(%s): %v", name, err)
	}
	return got
}

func TestGoldenMixed(t *testing.T) {
	got := scanFile(t, "mixed.jsonl")
	golden := filepath.Join("testdata", "mixed.golden.json")
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(bytes.TrimSpace(want)), string(data)); diff != "" {
		t.Errorf("findings (-want +got), rerun with -update if intended:\n%s", diff)
	}
	seen := map[string]bool{}
	for _, f := range got {
		seen[f.RuleID] = true
	}
	for _, ft := range FindingTypes() {
		if !seen[ft.ID] && ft.ID != TypeC2IP {
			t.Errorf("mixed fixture does not trigger %s", ft.ID)
		}
	}
}

func TestGoldenClean(t *testing.T) {
	if got := scanFile(t, "clean.jsonl"); len(got) != 0 {
		t.Errorf("clean log: %d findings, want none: %+v", len(got), got)
	}
}

func TestScannerErrors(t *testing.T) {
	s := NewScanner(Config{}, ReadOptions{}, nil)
	emit := func(pipeline.Finding) error { return nil }
	if s.Name() != "threat" {
		t.Errorf("Name() = %q", s.Name())
	}
	if err := s.Scan(context.Background(), "testdata/missing.jsonl", emit); !errorsIs(err, pipeline.ErrNotFound) {
		t.Errorf("missing file: %v, want ErrNotFound", err)
	}
	if err := s.Scan(context.Background(), "testdata", emit); !errorsIs(err, pipeline.ErrInvalid) {
		t.Errorf("directory: %v, want ErrInvalid", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Scan(ctx, "testdata/mixed.jsonl", emit); !errorsIs(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}
