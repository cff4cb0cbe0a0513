package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// result is what the execution load measured.
type result struct {
	executions int // released
	failed     int // ended other than succeeded
	refused    int // releases the server refused
	inWindow   int // ended within the load window
	window     time.Duration
	durations  []time.Duration // of every execution, start to end
	latencies  []time.Duration // of every action: due to started
	byProcess  map[string]int  // actions run, by process name
	// The server's own view, from its /metrics histogram.
	serverP95   float64 // seconds; NaN without samples
	serverCount uint64
}

// perMinute is the rate of executions ended within the window.
func (r result) perMinute() float64 { return float64(r.inWindow) / r.window.Minutes() }

// analyse reads every execution of l back from the store, and the
// server's metrics.
func (c *cluster) analyse(ctx context.Context, l load) (result, error) {
	res := result{executions: len(l.ids), refused: l.refused, window: l.end.Sub(l.start),
		byProcess: map[string]int{}}
	names, err := c.runnerNames(ctx)
	if err != nil {
		return res, err
	}
	for _, id := range l.ids {
		x, err := c.st.Execution(ctx, id)
		if err != nil {
			return res, err
		}
		runs, err := c.st.ActionRuns(ctx, id)
		if err != nil {
			return res, err
		}
		if x.Status != pipeline.StatusSucceeded {
			res.failed++
		}
		if !x.Finished.Before(l.start) && !x.Finished.After(l.end) {
			res.inWindow++
		}
		res.durations = append(res.durations, x.Finished.Sub(x.Started))
		res.latencies = append(res.latencies, latencies(x, runs)...)
		for _, r := range runs {
			res.byProcess[cmp.Or(names[r.Runner], "unknown runner")]++
		}
	}
	res.serverP95, res.serverCount, err = c.serverLatency(ctx)
	return res, err
}

// runnerNames maps runner ids to the names of the processes they are.
func (c *cluster) runnerNames(ctx context.Context) (map[string]string, error) {
	runners, err := c.st.Runners(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range runners {
		for _, p := range c.procs {
			if p.cmd.Process.Pid == r.PID {
				out[r.ID] = p.name
			}
		}
	}
	return out, nil
}

// latencies returns how long each action of an execution of sequential
// stages waited: the first from the execution's start, every later one
// from the end of the one before (the transaction that ends an action
// makes the next one due).
func latencies(x store.Execution, runs []store.ActionRun) []time.Duration {
	runs = slices.Clone(runs)
	slices.SortFunc(runs, func(a, b store.ActionRun) int {
		return cmp.Or(cmp.Compare(a.StageIndex, b.StageIndex), cmp.Compare(a.Index, b.Index))
	})
	var out []time.Duration
	due := x.Started
	for _, r := range runs {
		if r.Started.IsZero() || due.IsZero() {
			break
		}
		out = append(out, max(r.Started.Sub(due), 0))
		due = r.Finished
	}
	return out
}

// percentile returns the q-quantile (0 < q <= 1) of ds by nearest rank,
// 0 for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// serverLatency scrapes the server and estimates the p95 of its
// scheduling latency histogram.
func (c *cluster) serverLatency(ctx context.Context) (float64, uint64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.url+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET /metrics = %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /metrics: %w", err)
	}
	f := families["secpipe_scheduling_latency_seconds"]
	if f == nil || len(f.GetMetric()) == 0 {
		return 0, 0, fmt.Errorf("/metrics has no secpipe_scheduling_latency_seconds")
	}
	h := f.GetMetric()[0].GetHistogram()
	return histogramQuantile(0.95, h), h.GetSampleCount(), nil
}

// histogramQuantile estimates the q-quantile of a cumulative histogram as
// Prometheus' histogram_quantile does: linearly within the bucket that
// holds it; the highest finite bound when it falls in the +Inf bucket;
// NaN without samples.
func histogramQuantile(q float64, h *dto.Histogram) float64 {
	total := float64(h.GetSampleCount())
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range h.GetBucket() {
		upper, count := b.GetUpperBound(), float64(b.GetCumulativeCount())
		if count >= rank {
			if math.IsInf(upper, 1) {
				return lower
			}
			if count == below {
				return upper
			}
			return lower + (upper-lower)*(rank-below)/(count-below)
		}
		lower, below = upper, count
	}
	return lower
}
