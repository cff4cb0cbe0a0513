package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns ../shared beside the checkout, skipping the test when
// it is missing (CI always has it: there a missing folder fails).
func sharedDir(t *testing.T, rel string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", rel)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared data %s is missing: %v", dir, err)
		}
		t.Skipf("shared data %s is missing", dir)
	}
	return dir
}

// TestScanVulnsGoModules scans the 21 go.mod files of the shared benchmark
// against the Go vulnerability database. The expected figures were checked
// finding by finding against osv-scanner 2.5.0 offline on the same files
// and database (docs/vulns.md): the same 1,395 (file, module, version,
// advisory) tuples, none more, none fewer.
func TestScanVulnsGoModules(t *testing.T) {
	inputs := sharedDir(t, "bench/vulns-inputs")
	zip := filepath.Join(sharedDir(t, "data/go-vulndb"), "all.zip")
	db := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"db", "import", "--db", db, zip}, &out, &errOut); code != ExitOK {
		t.Fatalf("db import = exit %d: %s", code, errOut.String())
	}
	out.Reset()
	args := []string{"scan", "vulns", "--db", db, "--format", "json", inputs}
	if code := Run(context.Background(), args, &out, &errOut); code != ExitGate {
		t.Fatalf("scan vulns = exit %d, want %d (unrated Go advisories fail by default): %s", code, ExitGate, errOut.String())
	}
	var rep struct {
		Findings []struct {
			RuleID   string   `json:"rule_id"`
			Aliases  []string `json:"aliases"`
			Location struct {
				Path, Package, Version string
			} `json:"location"`
		} `json:"findings"`
		Upgrades []struct {
			Package string `json:"package"`
		} `json:"upgrades"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	type tuple struct{ path, module, version, id string }
	got := map[tuple]bool{}
	for _, f := range rep.Findings {
		got[tuple{f.Location.Path, f.Location.Package, f.Location.Version, f.RuleID}] = true
		if f.Location.Package == "stdlib" {
			t.Errorf("finding %s for stdlib from %s: go directives are not inventory", f.RuleID, f.Location.Path)
		}
	}
	if len(rep.Findings) != 1395 || len(got) != 1395 {
		t.Errorf("scan vulns = %d findings (%d distinct), want 1395", len(rep.Findings), len(got))
	}
	for _, want := range []tuple{
		{"helm-v3.5.0/go.mod", "github.com/Masterminds/goutils", "1.1.0", "GO-2022-0411"},
		{"helm-v3.5.0/go.mod", "github.com/containerd/containerd", "1.3.4", "GO-2022-0344"},
		// go < 1.17: indirect dependencies come from go.sum.
		{"etcd-v3.5.0/client/v3/go.sum", "golang.org/x/net", "0.0.0-20210405180319-a5a99cb37ef4", "GO-2022-0236"},
	} {
		if !got[want] {
			t.Errorf("missing finding %+v", want)
		}
	}
	if len(rep.Upgrades) == 0 {
		t.Error("no upgrade plan")
	}
}
