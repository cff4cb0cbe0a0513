package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/scan/config"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/config-rules.md)")

const configDoc = "../../docs/config-rules.md"

// TestConfigRulesDoc keeps docs/config-rules.md generated from the checks
// themselves; run with -update after changing a check.
func TestConfigRulesDoc(t *testing.T) {
	got := renderConfigDoc(configChecks())
	if *update {
		if err := os.WriteFile(configDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./internal/cli -run TestConfigRulesDoc -update", configDoc)
	}
}

func renderConfigDoc(checks []config.Check) []byte {
	var b bytes.Buffer
	b.WriteString("# Configuration checks\n\n")
	b.WriteString("Generated from the checks (`internal/scan/config/*/`) by\n")
	b.WriteString("`go test ./internal/cli -run TestConfigRulesDoc -update`; do not edit by hand.\n")
	b.WriteString("`secpipe scan config --list-rules` prints the same list.\n\n")
	groups := map[string]int{}
	var order []string
	for _, c := range checks {
		if groups[c.Group] == 0 {
			order = append(order, c.Group)
		}
		groups[c.Group]++
	}
	fmt.Fprintf(&b, "%d checks:", len(checks))
	for _, g := range order {
		fmt.Fprintf(&b, " %s %d,", g, groups[g])
	}
	b.Truncate(b.Len() - 1)
	b.WriteString(".\n")
	group := ""
	for _, c := range checks {
		if c.Group != group {
			group = c.Group
			fmt.Fprintf(&b, "\n## %s (%s)\n\n| ID | Title | Severity | Reads |\n|---|---|---|---|\n", group, c.Target)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.ID, cell(c.Title), c.Severity, cell("`"+strings.Join(c.Reads, "`, `")+"`"))
	}
	b.WriteString("\n## Rationale and remediation\n")
	for _, c := range checks {
		fmt.Fprintf(&b, "\n### %s\n\n%s\n\n**Why:** %s\n\n**Fix:** %s\n", c.ID, c.Title, joinFields(c.Rationale), joinFields(c.Remediation))
		if len(c.References) > 0 {
			fmt.Fprintf(&b, "\n**See:** %s\n", strings.Join(c.References, ", "))
		}
	}
	return b.Bytes()
}

func cell(s string) string { return strings.ReplaceAll(joinFields(s), "|", `\|`) }

func joinFields(s string) string { return strings.Join(strings.Fields(s), " ") }
