package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// The corpus under testdata/corpus imitates the content of real
// repositories: configuration files, code, CI definitions, key files, docs
// and logs. labels.json lists every secret planted in it; every other line,
// the decoys included (documentation example keys, placeholders, variable
// references, hashes, ciphertext, public keys), must stay quiet. gen.py
// regenerates files and labels from a fixed seed.
const (
	corpusDir          = "testdata/corpus"
	corpusLabelsFile   = "labels.json"
	corpusGenerator    = "gen.py"
	corpusMinRecall    = 0.90
	corpusMinPrecision = 0.90
)

// corpusLabel is one planted secret: a file, the line it starts on, the
// line it ends on when it spans several (a PEM block, a JSON key file) and
// a short name for its kind.
type corpusLabel struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line,omitempty"`
	Kind    string `json:"kind"`
}

// covers reports whether a finding at path:line falls on the label.
func (l corpusLabel) covers(path string, line int) bool {
	return path == l.File && line >= l.Line && line <= max(l.Line, l.EndLine)
}

func (l corpusLabel) String() string { return fmt.Sprintf("%s %s:%d", l.Kind, l.File, l.Line) }

// corpusScore compares findings with labels: a finding on a labelled line
// finds that label (several findings may find the same one); a finding on
// no labelled line is a false positive.
type corpusScore struct {
	Found  []corpusLabel
	Missed []corpusLabel
	// FalsePositives are "rule-id path:line"; never the secret.
	FalsePositives []string
}

func scoreCorpus(labels []corpusLabel, findings []pipeline.Finding) corpusScore {
	hit := make([]bool, len(labels))
	var sc corpusScore
	for _, f := range findings {
		matched := false
		for i, l := range labels {
			if l.covers(f.Location.Path, f.Location.Line) {
				hit[i], matched = true, true
			}
		}
		if !matched {
			sc.FalsePositives = append(sc.FalsePositives, fmt.Sprintf("%s %s", f.RuleID, f.Location))
		}
	}
	for i, l := range labels {
		if hit[i] {
			sc.Found = append(sc.Found, l)
		} else {
			sc.Missed = append(sc.Missed, l)
		}
	}
	return sc
}

// recall is the share of planted secrets found.
func (sc corpusScore) recall() float64 {
	return ratio(len(sc.Found), len(sc.Found)+len(sc.Missed))
}

// precision is the share of reports that are planted secrets, counting
// each found secret once.
func (sc corpusScore) precision() float64 {
	return ratio(len(sc.Found), len(sc.Found)+len(sc.FalsePositives))
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

// byKind renders "kind found/total" for every kind, weakest recall first.
func (sc corpusScore) byKind() string {
	found, total := map[string]int{}, map[string]int{}
	for _, l := range sc.Found {
		found[l.Kind]++
		total[l.Kind]++
	}
	for _, l := range sc.Missed {
		total[l.Kind]++
	}
	kinds := make([]string, 0, len(total))
	for k := range total {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		ri, rj := ratio(found[kinds[i]], total[kinds[i]]), ratio(found[kinds[j]], total[kinds[j]])
		if ri != rj {
			return ri < rj
		}
		return kinds[i] < kinds[j]
	})
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n  %-30s %3d/%d", k, found[k], total[k])
	}
	return b.String()
}

// readCorpusLabels loads labels.json and checks that every label points at
// an existing line of an existing corpus file.
func readCorpusLabels(t *testing.T) []corpusLabel {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, corpusLabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	var labels []corpusLabel
	if err := json.Unmarshal(data, &labels); err != nil {
		t.Fatalf("parse %s: %v", corpusLabelsFile, err)
	}
	lines, seen := map[string]int{}, map[string]bool{}
	for i, l := range labels {
		key := fmt.Sprintf("%s:%d", l.File, l.Line)
		if seen[key] {
			t.Fatalf("%s entry %d: a second label on %s", corpusLabelsFile, i, key)
		}
		seen[key] = true
		n, ok := lines[l.File]
		if !ok {
			text, err := os.ReadFile(filepath.Join(corpusDir, filepath.FromSlash(l.File)))
			if err != nil {
				t.Fatalf("%s entry %d: %v", corpusLabelsFile, i, err)
			}
			n = bytes.Count(text, []byte("\n")) + 1
			lines[l.File] = n
		}
		if l.Kind == "" || l.Line < 1 || max(l.Line, l.EndLine) > n || (l.EndLine != 0 && l.EndLine < l.Line) {
			t.Fatalf("%s entry %d (%s): want a kind and lines within 1..%d", corpusLabelsFile, i, l, n)
		}
	}
	return labels
}

func TestCorpus(t *testing.T) {
	labels := readCorpusLabels(t)
	s, err := New(Config{Exclude: []string{corpusLabelsFile, corpusGenerator}})
	if err != nil {
		t.Fatal(err)
	}
	var findings []pipeline.Finding
	// Info findings (account IDs and other identifiers) are reported but
	// are not credentials and fail no default gate: they are not scored.
	err = s.Scan(context.Background(), corpusDir, func(f pipeline.Finding) error {
		if f.Severity > pipeline.SeverityInfo {
			findings = append(findings, f)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%s) = %v", corpusDir, err)
	}
	sc := scoreCorpus(labels, findings)
	t.Logf("corpus: %d planted secrets, %d findings: recall %.3f (%d found, %d missed), precision %.3f (%d false positives)",
		len(labels), len(findings), sc.recall(), len(sc.Found), len(sc.Missed), sc.precision(), len(sc.FalsePositives))
	t.Logf("recall by kind:%s", sc.byKind())
	for _, l := range sc.Missed {
		t.Logf("miss: %s", l)
	}
	for _, fp := range sc.FalsePositives {
		t.Logf("false positive: %s", fp)
	}
	if r := sc.recall(); r < corpusMinRecall {
		t.Errorf("recall = %.3f, want >= %.2f", r, corpusMinRecall)
	}
	if p := sc.precision(); p < corpusMinPrecision {
		t.Errorf("precision = %.3f, want >= %.2f", p, corpusMinPrecision)
	}
}

func TestScoreCorpus(t *testing.T) {
	aws := corpusLabel{File: "a/.env", Line: 3, Kind: "aws-access-key-id"}
	pem := corpusLabel{File: "k/server.key", Line: 1, EndLine: 27, Kind: "private-key-rsa"}
	pw := corpusLabel{File: "a/.env", Line: 7, Kind: "password"}
	at := func(rule, path string, line int) pipeline.Finding {
		return pipeline.Finding{RuleID: rule, Location: pipeline.Location{Path: path, Line: line}}
	}
	tests := []struct {
		name          string
		findings      []pipeline.Finding
		want          corpusScore
		wantRecall    float64
		wantPrecision float64
	}{
		{
			name:          "nothing found",
			want:          corpusScore{Missed: []corpusLabel{aws, pem, pw}},
			wantRecall:    0,
			wantPrecision: 1, // no false reports
		},
		{
			name: "two rules on one line find one secret; a block is found on any of its lines",
			findings: []pipeline.Finding{
				at("aws-access-key-id", "a/.env", 3), at("generic-api-key", "a/.env", 3), at("private-key", "k/server.key", 2),
			},
			want:          corpusScore{Found: []corpusLabel{aws, pem}, Missed: []corpusLabel{pw}},
			wantRecall:    2.0 / 3,
			wantPrecision: 1,
		},
		{
			name: "wrong line, wrong file and past the block are false positives",
			findings: []pipeline.Finding{
				at("password", "a/.env", 7), at("password", "a/.env", 8), at("password", "b/.env", 7), at("private-key", "k/server.key", 28),
			},
			want: corpusScore{
				Found:          []corpusLabel{pw},
				Missed:         []corpusLabel{aws, pem},
				FalsePositives: []string{"password a/.env:8", "password b/.env:7", "private-key k/server.key:28"},
			},
			wantRecall:    1.0 / 3,
			wantPrecision: 1.0 / 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scoreCorpus([]corpusLabel{aws, pem, pw}, tt.findings)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scoreCorpus() mismatch (-want +got):\n%s", diff)
			}
			if r := got.recall(); r != tt.wantRecall {
				t.Errorf("recall() = %v, want %v", r, tt.wantRecall)
			}
			if p := got.precision(); p != tt.wantPrecision {
				t.Errorf("precision() = %v, want %v", p, tt.wantPrecision)
			}
		})
	}
}
