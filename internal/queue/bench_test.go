package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// benchDispatchers builds each dispatcher under benchmark on a fresh database.
func benchDispatchers(b *testing.B) map[string]func() (Dispatcher, *sql.DB) {
	return map[string]func() (Dispatcher, *sql.DB){
		"river": func() (Dispatcher, *sql.DB) {
			db, _ := testDB(b)
			cfg := testRiverConfig(b)
			cfg.FetchPollInterval = 0 // the default
			cfg.Workers = 20
			r, err := NewRiver(db, cfg)
			if err != nil {
				b.Fatalf("NewRiver() = %v", err)
			}
			return r, db
		},
		"memory": func() (Dispatcher, *sql.DB) {
			db, _ := testDB(b)
			return NewMemory(), db
		},
	}
}

// BenchmarkDispatch measures throughput: b.N no-op jobs, each enqueued in
// its own committed transaction, from enqueueing the first to finishing the
// last.
func BenchmarkDispatch(b *testing.B) {
	for _, name := range []string{"river", "memory"} {
		b.Run(name, func(b *testing.B) {
			d, db := benchDispatchers(b)[name]()
			var done atomic.Int64
			all := make(chan struct{})
			want := int64(b.N)
			d.Handle("noop", func(context.Context, json.RawMessage) error {
				if done.Add(1) == want {
					close(all)
				}
				return nil
			})
			startDispatcher(b, d)
			job := Job{Kind: "noop", Args: json.RawMessage(`{}`)}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				enqueue(b, db, d, job, false)
			}
			<-all
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
		})
	}
}

// BenchmarkRoundTrip measures latency: one job at a time, from the start of
// its enqueue transaction to its handler running; reports the median.
func BenchmarkRoundTrip(b *testing.B) {
	for _, name := range []string{"river", "memory"} {
		b.Run(name, func(b *testing.B) {
			d, db := benchDispatchers(b)[name]()
			ran := make(chan struct{}, 1)
			d.Handle("ping", func(context.Context, json.RawMessage) error {
				ran <- struct{}{}
				return nil
			})
			startDispatcher(b, d)
			job := Job{Kind: "ping"}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				enqueue(b, db, d, job, false)
				<-ran
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*9/10])/1e6, "p90-ms")
		})
	}
}
