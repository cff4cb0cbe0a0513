package secrets

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/secret-rules.md)")

const rulesDoc = "../../../docs/secret-rules.md"

// TestRulesDoc keeps docs/secret-rules.md generated from the catalogue
// itself; run with -update after changing a rule.
func TestRulesDoc(t *testing.T) {
	got := renderRulesDoc(Rules())
	if *update {
		if err := os.WriteFile(rulesDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./internal/scan/secrets -run TestRulesDoc -update", rulesDoc)
	}
}

func renderRulesDoc(rules []Rule) []byte {
	var b bytes.Buffer
	b.WriteString("# Secret rules\n\n")
	b.WriteString("Generated from the rule catalogue (`internal/scan/secrets/rules_*.go`) by\n")
	b.WriteString("`go test ./internal/scan/secrets -run TestRulesDoc -update`; do not edit by hand.\n")
	b.WriteString("`secpipe scan secrets --list-rules` prints the same list.\n\n")
	fmt.Fprintf(&b, "%d rules. *Keywords* are what the prefilter looks for (case-insensitively) before\n", len(rules))
	b.WriteString("the rule's pattern runs; *checks* are what a match must pass besides the pattern.\n\n")
	b.WriteString("| ID | Title | Severity | Keywords | Checks |\n|---|---|---|---|---|\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.ID, escapeCell(r.Title), r.Severity,
			escapeCell(quoteAll(r.Keywords)), checks(r))
	}
	return b.Bytes()
}

func checks(r Rule) string {
	var c []string
	if r.Verify != nil {
		c = append(c, "format check")
	}
	if r.MinEntropy > 0 {
		c = append(c, fmt.Sprintf("entropy ≥ %.1f", r.MinEntropy))
	}
	if r.Generic {
		c = append(c, "placeholder filters")
	}
	if r.Multiline {
		c = append(c, "multi-line")
	}
	if r.CredentialGroup != "" {
		c = append(c, "grouped: "+r.CredentialGroup)
	}
	return strings.Join(c, ", ")
}

func quoteAll(ks []string) string {
	q := make([]string, len(ks))
	for i, k := range ks {
		q[i] = "`" + strings.ReplaceAll(k, "`", "'") + "`"
	}
	return strings.Join(q, " ")
}

func escapeCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
