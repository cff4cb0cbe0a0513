// Command bench is `make bench-server`: a load test of `secpipe server`
// on PostgreSQL with database workers, and of its API and dashboard.
//
// It creates a fresh database, starts the secpipe binary it is given as a
// server and N `secpipe worker --database` processes sharing one data
// directory, registers P pipelines of 10 no-op actions (shell `true`, one
// a stage) and keeps one execution of each running for the load window:
// P executions at once throughout. It reports executions per minute and
// the scheduling latency of every action (from its becoming due to a
// process starting it, read from the store: the first action is due when
// its execution starts, each later one when its predecessor ends), with
// the server's own /metrics histogram beside it. Then it sends a fixed
// rate of requests (open loop) over the dashboard's main pages, with a
// logged-in session, and the API's list and detail endpoints, and reports
// p50/p95/p99 per target. Finally it stops the processes and drops the
// database.
//
//	go run ./internal/server/bench -secpipe bin/secpipe
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	secpipe      string
	adminURL     string
	dir          string
	pipelines    int
	workers      int
	duration     time.Duration
	rate         int
	httpDuration time.Duration
	keep         bool
}

func main() {
	var o options
	flag.StringVar(&o.secpipe, "secpipe", "bin/secpipe", "the secpipe `binary` to run")
	flag.StringVar(&o.adminURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL `URL` of a user who may create databases")
	flag.StringVar(&o.dir, "dir", "", "work `DIR` (default: a new temporary directory, removed afterwards)")
	flag.IntVar(&o.pipelines, "pipelines", 50, "pipelines, each with one execution running at a time")
	flag.IntVar(&o.workers, "workers", 2, "secpipe worker --database processes beside the server")
	flag.DurationVar(&o.duration, "duration", time.Minute, "execution load window")
	flag.IntVar(&o.rate, "rate", 100, "HTTP requests per second")
	flag.DurationVar(&o.httpDuration, "http-duration", 20*time.Second, "HTTP load window")
	flag.BoolVar(&o.keep, "keep", false, "keep the database and the work directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run sets the cluster up, runs both loads and prints the report.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	if o.pipelines < 1 || o.workers < 0 || o.rate < 1 || o.duration <= 0 || o.httpDuration <= 0 {
		return fmt.Errorf("want -pipelines, -rate, -duration and -http-duration above zero, -workers not below")
	}
	began := time.Now()
	step := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench: %5.1fs  %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	c, err := startCluster(ctx, o, stderr)
	if c != nil {
		defer func() {
			if cerr := c.close(); err == nil {
				err = cerr
			}
		}()
	}
	if err != nil {
		return err
	}
	api := newClient(c.url, c.token)
	names, err := registerPipelines(ctx, api, c.repo, o.pipelines)
	if err != nil {
		return err
	}
	step("server and %d workers up, %d pipelines registered; executions for %s", o.workers, len(names), o.duration)
	load, err := driveExecutions(ctx, api, names, o.duration)
	if err != nil {
		return err
	}
	step("executions ended; reading them back")
	res, err := c.analyse(ctx, load)
	if err != nil {
		return err
	}
	step("HTTP load, %d requests/s for %s", o.rate, o.httpDuration)
	hl, err := loadHTTP(ctx, c.url, c.token, o.rate, o.httpDuration)
	if err != nil {
		return err
	}
	step("stopping")
	report(stdout, o, res, hl)
	return nil
}
