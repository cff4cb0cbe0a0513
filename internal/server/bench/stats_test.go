package main

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store"
)

func TestNoopPipeline(t *testing.T) {
	p, err := spec.Parse("secpipe.yml", []byte(noopPipeline()), spec.Options{Providers: []string{"shell"}})
	if err != nil {
		t.Fatalf("Parse(noopPipeline()) = %v", err)
	}
	if len(p.Stages) != 10 || p.ExecutionMode != pipeline.ModeParallel {
		t.Fatalf("noopPipeline() has %d stages, mode %s; want 10, parallel", len(p.Stages), p.ExecutionMode)
	}
	for _, s := range p.Stages {
		if len(s.Actions) != 1 || s.Actions[0].Provider != "shell" {
			t.Errorf("stage %s: actions %+v, want one shell action", s.Name, s.Actions)
		}
	}
}

func TestLatencies(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	run := func(stage int, started, finished int) store.ActionRun {
		r := store.ActionRun{StageIndex: stage, Finished: at(finished)}
		if started >= 0 {
			r.Started = at(started)
		}
		return r
	}
	tests := []struct {
		name string
		x    store.Execution
		runs []store.ActionRun
		want []time.Duration
	}{
		{
			name: "in stage order, whatever the store's",
			x:    store.Execution{Started: at(0)},
			runs: []store.ActionRun{run(2, 60, 70), run(0, 5, 20), run(1, 30, 50)},
			want: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
		},
		{
			name: "stops at the first action that never started",
			x:    store.Execution{Started: at(0)},
			runs: []store.ActionRun{run(0, 1, 2), run(1, -1, 0), run(2, 9, 10)},
			want: []time.Duration{time.Millisecond},
		},
		{
			name: "never started",
			x:    store.Execution{},
			runs: []store.ActionRun{run(0, -1, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, latencies(tt.x, tt.runs)); diff != "" {
				t.Errorf("latencies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[len(ds)-1-i] = time.Duration(i+1) * time.Millisecond // 100 ms … 1 ms
	}
	tests := []struct {
		q    float64
		in   []time.Duration
		want time.Duration
	}{
		{q: 0.5, in: ds, want: 50 * time.Millisecond},
		{q: 0.95, in: ds, want: 95 * time.Millisecond},
		{q: 0.99, in: ds, want: 99 * time.Millisecond},
		{q: 1, in: ds, want: 100 * time.Millisecond},
		{q: 0.95, in: []time.Duration{7}, want: 7},
		{q: 0.95, in: nil, want: 0},
	}
	for _, tt := range tests {
		if got := percentile(tt.in, tt.q); got != tt.want {
			t.Errorf("percentile(%d durations, %v) = %v, want %v", len(tt.in), tt.q, got, tt.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Errorf("percentile sorted its input")
	}
}

func TestHistogramQuantile(t *testing.T) {
	hist := func(total uint64, buckets ...float64) *dto.Histogram {
		h := &dto.Histogram{SampleCount: &total}
		for i := 0; i < len(buckets); i += 2 {
			upper, n := buckets[i], uint64(buckets[i+1])
			h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: &upper, CumulativeCount: &n})
		}
		return h
	}
	tests := []struct {
		name string
		q    float64
		h    *dto.Histogram
		want float64
	}{
		{name: "within the first bucket", q: 0.5, h: hist(10, 0.01, 10, 0.1, 10), want: 0.005},
		{name: "interpolated in a later bucket", q: 0.95, h: hist(100, 0.01, 50, 0.1, 100), want: 0.091},
		{name: "beyond every finite bound", q: 0.99, h: hist(100, 0.01, 50, 0.1, 90, math.Inf(1), 100), want: 0.1},
		{name: "no samples", q: 0.95, h: hist(0, 0.01, 0), want: math.NaN()},
	}
	for _, tt := range tests {
		got := histogramQuantile(tt.q, tt.h)
		if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9) {
			t.Errorf("%s: histogramQuantile(%v) = %v, want %v", tt.name, tt.q, got, tt.want)
		}
	}
}
