package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// BenchmarkWrite renders a report of 10,000 findings, every fifth one
// blocking, in each format.
func BenchmarkWrite(b *testing.B) {
	const n = 10000
	base := fixtureReport(b)
	r := *base
	r.Findings = make([]pipeline.Finding, 0, n)
	r.Verdict = &pipeline.Verdict{FailOn: pipeline.SeverityHigh}
	for i := range n {
		f := base.Findings[i%len(base.Findings)]
		f.RuleID = fmt.Sprintf("%s-%d", f.RuleID, i%50)
		f.Location.Path = fmt.Sprintf("src/pkg%d/file%d.go", i%97, i)
		f.Location.Line = i%400 + 1
		r.Findings = append(r.Findings, f)
		if i%5 == 0 {
			r.Verdict.Blocking = append(r.Verdict.Blocking, i)
		}
	}
	for _, format := range Formats() {
		w, err := New(format, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				if err := w.Write(io.Discard, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
