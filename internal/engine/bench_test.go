package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// dispatchers are the queue implementations the benchmarks compare.
var dispatchers = []struct {
	name  string
	river bool
}{{"memory", false}, {"river", true}}

// noop is a provider that succeeds at once.
func noop() map[string]pipeline.Provider {
	return map[string]pipeline.Provider{"noop": &fakeProvider{name: "noop",
		run: func(context.Context, *pipeline.ActionRequest) (pipeline.ActionResult, error) {
			return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
		}}}
}

// chain is a pipeline of n stages of one no-op action each.
func chain(n int) *pipeline.Pipeline {
	var stages []pipeline.Stage
	for i := range n {
		stages = append(stages, stage(fmt.Sprintf("S%d", i), pipeline.Action{Name: "A", Provider: "noop"}))
	}
	return pipe("bench", stages...)
}

// reportPercentiles reports the p50 and p90 of durations in ms.
func reportPercentiles(b *testing.B, durations []time.Duration, unit string) {
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	at := func(q float64) float64 {
		return float64(durations[int(q*float64(len(durations)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), "p50-"+unit)
	b.ReportMetric(at(0.9), "p90-"+unit)
}

// BenchmarkNoopAction measures the engine's overhead per no-op action in a
// running pipeline: the wall time of a 20-stage pipeline of one no-op
// action each (store the result, advance, schedule and claim the next
// action), divided by 20.
func BenchmarkNoopAction(b *testing.B) {
	const stages = 20
	for _, d := range dispatchers {
		b.Run(d.name, func(b *testing.B) {
			h := newHarness(b, options{river: d.river, providers: noop()})
			p := chain(stages)
			h.run(b, p, engine.StartOptions{}) // warm up
			durations := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, st := h.run(b, p, engine.StartOptions{}); st != pipeline.StatusSucceeded {
					b.Fatalf("status = %s", st)
				}
				durations = append(durations, time.Since(start)/stages)
			}
			b.StopTimer()
			reportPercentiles(b, durations, "ms/action")
		})
	}
}

// BenchmarkSingleAction measures the latency of an execution of one no-op
// action, from Start to its end: creation, the dispatcher picking up the
// first job, the attempt and the finish.
func BenchmarkSingleAction(b *testing.B) {
	for _, d := range dispatchers {
		b.Run(d.name, func(b *testing.B) {
			h := newHarness(b, options{river: d.river, providers: noop()})
			p := chain(1)
			h.run(b, p, engine.StartOptions{})
			durations := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, st := h.run(b, p, engine.StartOptions{}); st != pipeline.StatusSucceeded {
					b.Fatalf("status = %s", st)
				}
				durations = append(durations, time.Since(start))
			}
			b.StopTimer()
			reportPercentiles(b, durations, "ms/execution")
		})
	}
}

// BenchmarkThroughput measures no-op actions per second: executions of one
// stage of 10 parallel no-op actions, all started at once.
func BenchmarkThroughput(b *testing.B) {
	const width = 10
	for _, d := range dispatchers {
		b.Run(d.name, func(b *testing.B) {
			h := newHarness(b, options{river: d.river, providers: noop()})
			var actions []pipeline.Action
			for i := range width {
				actions = append(actions, pipeline.Action{Name: fmt.Sprintf("A%d", i), Provider: "noop"})
			}
			p := pipe("bench", stage("S", actions...))
			h.run(b, p, engine.StartOptions{})
			b.ResetTimer()
			start := time.Now()
			ids := make([]string, 0, b.N)
			for range b.N {
				id, err := h.eng.Start(context.Background(), p, engine.StartOptions{})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, id)
			}
			for _, id := range ids {
				if st := h.wait(b, id); st != pipeline.StatusSucceeded {
					b.Fatalf("status = %s", st)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*width)/time.Since(start).Seconds(), "actions/s")
		})
	}
}

// BenchmarkTenStages measures the wall time of a 10-stage no-op pipeline.
func BenchmarkTenStages(b *testing.B) {
	for _, d := range dispatchers {
		b.Run(d.name, func(b *testing.B) {
			h := newHarness(b, options{river: d.river, providers: noop()})
			p := chain(10)
			h.run(b, p, engine.StartOptions{})
			durations := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, st := h.run(b, p, engine.StartOptions{}); st != pipeline.StatusSucceeded {
					b.Fatalf("status = %s", st)
				}
				durations = append(durations, time.Since(start))
			}
			b.StopTimer()
			reportPercentiles(b, durations, "ms/pipeline")
		})
	}
}
