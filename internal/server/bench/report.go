package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// Targets of the issue this benchmark answers.
const (
	wantAPIP95 = 50 * time.Millisecond
)

// report prints both loads' figures as two short tables.
func report(w io.Writer, o options, r result, h httpResult) {
	fmt.Fprintf(w, "\nsecpipe server on PostgreSQL: server + %d workers, %d pipelines of 10 no-op actions "+
		"(shell true) kept running for %s\n", o.workers, o.pipelines, o.duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  executions ended in the window\t%d\t(%d released, %d not succeeded)\n", r.inWindow,
		r.executions, r.failed)
	fmt.Fprintf(tw, "  executions per minute\t%.0f\t\n", r.perMinute())
	fmt.Fprintf(tw, "  releases refused (sent again)\t%d\t(server errors; see the server's log)\n", r.refused)
	fmt.Fprintf(tw, "  execution time p50 / p95\t%s / %s\t\n", ms(percentile(r.durations, 0.5)),
		ms(percentile(r.durations, 0.95)))
	fmt.Fprintf(tw, "  scheduling latency p50 / p95 / p99\t%s / %s / %s\t(%d actions, every process; from the store)\n",
		ms(percentile(r.latencies, 0.5)), ms(percentile(r.latencies, 0.95)), ms(percentile(r.latencies, 0.99)),
		len(r.latencies))
	server := "no samples"
	if !math.IsNaN(r.serverP95) {
		server = ms(time.Duration(r.serverP95 * float64(time.Second)))
	}
	fmt.Fprintf(tw, "  the server's own p95 (/metrics)\t%s\t(%d actions it started; histogram estimate)\n", server,
		r.serverCount)
	fmt.Fprintf(tw, "  actions run by\t%s\t\n", shares(r.byProcess))
	tw.Flush()

	fmt.Fprintf(w, "\nHTTP: %d requests/s for %s (open loop), dashboard session and API token\n", h.rate, h.window)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\trequests\tp50\tp95\tp99\terrors\t")
	var all []time.Duration
	errs := 0
	for i, t := range h.targets {
		ds, n := durations(h.hits[i])
		all = append(all, ds...)
		errs += n
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t\n", t.name, len(h.hits[i]), ms(percentile(ds, 0.5)),
			ms(percentile(ds, 0.95)), ms(percentile(ds, 0.99)), n)
	}
	fmt.Fprintf(tw, "all\t%d\t%s\t%s\t%s\t%d\t\n", len(all)+errs, ms(percentile(all, 0.5)),
		ms(percentile(all, 0.95)), ms(percentile(all, 0.99)), errs)
	tw.Flush()
	verdict := "met"
	if p95 := percentile(all, 0.95); p95 >= wantAPIP95 || errs > 0 {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "target: p95 under %s without errors: %s\n", ms(wantAPIP95), verdict)
}

// durations returns the times of the successful hits and counts the
// failed ones.
func durations(hs []hit) ([]time.Duration, int) {
	var ds []time.Duration
	failed := 0
	for _, h := range hs {
		if h.err != nil {
			failed++
			continue
		}
		ds = append(ds, h.d)
	}
	return ds, failed
}

// shares writes counts as percentages of their total, by name.
func shares(m map[string]int) string {
	total := 0
	for _, n := range m {
		total += n
	}
	out := ""
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s %.0f%%", name, 100*float64(m[name])/float64(total))
	}
	return out
}

// ms formats a duration in milliseconds, with a decimal below 10 ms.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f < 10 {
		return fmt.Sprintf("%.1f ms", f)
	}
	return fmt.Sprintf("%.0f ms", f)
}
