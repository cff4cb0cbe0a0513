package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/invoke"
)

// workerOptions are the flags of `secpipe worker`.
type workerOptions struct {
	server       string
	token        string
	actionType   string
	exec         string
	concurrency  int
	pollInterval time.Duration
	logFormat    string
}

func newWorkerCmd(e *env) *cobra.Command {
	var (
		o  workerOptions
		db dbWorkerOptions
	)
	cmd := &cobra.Command{
		Use:   "worker --server URL --action-type TYPE --exec HANDLER | --database URL --data DIR",
		Short: "Work a server's custom-action jobs with a handler, or its built-in actions on PostgreSQL",
		Long: `Worker polls a secpipe server's job API for jobs of one action type (the
action_type of custom actions) and runs HANDLER for each, as the invoke
provider runs its handlers: the CodePipeline.job event as JSON on standard
input, the reply ({"result": "success"|"failure"|"in_progress", ...}) as the
last JSON object on standard output. Input artifacts are downloaded to a
temporary directory first, and output artifacts uploaded after a success.

The token comes from --token or $SECPIPE_TOKEN. SIGINT or SIGTERM stops
polling and lets running handlers finish; a second signal stops them too
(their jobs fail as SystemUnavailable). See docs/job-api.md.

With --database postgres://... --data DIR instead, the worker is one more
engine process of a scaled-out server: it runs the server's built-in
actions (source, build, scan, image, ...) taken from the shared PostgreSQL
queue, with artifacts and logs in the data directory every process shares.
It heartbeats a lease; if it dies, another process takes its actions back
once the lease runs out. See docs/operations.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLogFormat(o.logFormat); err != nil {
				return err
			}
			db.logFormat = o.logFormat
			if db.database == "" && cmd.Flags().Changed("data") {
				db.database = e.getenv("SECPIPE_DATABASE") // keeps the password off the command line
			}
			if db.database != "" || cmd.Flags().Changed("data") {
				if o.server != "" || o.actionType != "" || o.exec != "" || o.token != "" {
					return usageError{errors.New("--database works the server's built-in actions; " +
						"--server, --token, --action-type and --exec work custom actions: give one or the other")}
				}
				db.stderr, db.workers = e.stderr, o.concurrency
				if !cmd.Flags().Changed("concurrency") {
					db.workers = 0 // the queue's default
				}
				return runDatabaseWorker(cmd.Context(), db)
			}
			if o.token == "" {
				o.token = e.getenv("SECPIPE_TOKEN")
			}
			return runWorker(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&db.database, "database", "", "PostgreSQL `URL` of a scaled-out server: work its built-in actions (with --data: default $SECPIPE_DATABASE)")
	f.StringVar(&db.data, "data", "", "data `DIR` the server and every --database worker share")
	f.StringVar(&db.images, "images", "", "image store `DIR` (with --database; default $SECPIPE_IMAGE_DIR)")
	f.DurationVar(&db.lease, "lease", 0, "runner lease (with --database); every process must use the same (default 30s)")
	f.StringVar(&db.metricsAddr, "metrics-addr", "", "serve this worker's Prometheus metrics at http://`ADDRESS`/metrics (with --database)")
	f.BoolVarP(&db.verbose, "verbose", "v", false, "log debug messages (with --database)")
	f.StringVar(&o.server, "server", "", "`URL` of the secpipe server whose job API to poll")
	f.StringVar(&o.token, "token", "", "API `TOKEN` of the worker (default $SECPIPE_TOKEN)")
	f.StringVar(&o.actionType, "action-type", "", "action `TYPE` to work, as custom actions name it (Category/Provider/Version)")
	f.StringVar(&o.exec, "exec", "", "`HANDLER` executable to run for each job")
	f.IntVar(&o.concurrency, "concurrency", 1, "jobs to work at once")
	f.DurationVar(&o.pollInterval, "poll-interval", jobapi.DefaultPollInterval, "wait after a poll that found no job")
	registerLogFormat(cmd, &o.logFormat)
	return cmd
}

// check validates the options and resolves the handler's path.
func (o *workerOptions) check() error {
	switch {
	case o.server == "":
		return usageError{errors.New("--server URL is required: the secpipe server whose jobs to work")}
	case o.actionType == "":
		return usageError{errors.New("--action-type is required: the action_type of the custom actions to work")}
	case o.exec == "":
		return usageError{errors.New("--exec is required: the handler to run for each job")}
	case o.concurrency < 1:
		return usageError{fmt.Errorf("--concurrency %d: want at least 1", o.concurrency)}
	case o.pollInterval <= 0:
		return usageError{fmt.Errorf("--poll-interval %s: want a positive duration", o.pollInterval)}
	}
	path := o.exec
	if !strings.ContainsRune(path, '/') {
		p, err := exec.LookPath(path)
		if err != nil {
			return usageError{fmt.Errorf("--exec %s: %w", path, err)}
		}
		path = p
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return usageError{fmt.Errorf("--exec %s: not an executable file", o.exec)}
	}
	o.exec = path
	return nil
}

// jobSource is where a worker's jobs come from and its artifacts go: the
// job API of a server over HTTP (--server).
type jobSource interface {
	jobapi.Service
	DownloadInputs(ctx context.Context, job jobapi.Job, dir string) (map[string]string, error)
	UploadOutputs(ctx context.Context, job jobapi.Job, dir string) error
}

func runWorker(ctx context.Context, e *env, o workerOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	log, err := newLogger(e.stderr, o.logFormat, slog.LevelInfo)
	if err != nil {
		return err
	}
	client, err := jobhttp.NewClient(o.server, jobhttp.ClientOptions{Token: o.token, Logger: log})
	if err != nil {
		return usageError{fmt.Errorf("--server: %w", err)}
	}
	w := &worker{src: client, handler: o.exec, invoke: invoke.New(invoke.Config{Logger: log}), log: log,
		out: &prefixWriter{w: e.stderr}}
	polling, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	// Handlers outlive the first signal (and the end of ctx); a second
	// signal stops them.
	running, kill := context.WithCancel(context.WithoutCancel(ctx))
	defer kill()
	defer onSignals(log, stopPolling, kill)()

	log.Info("worker started", "server", client.BaseURL(), "action_type", o.actionType, "handler", o.exec,
		"concurrency", o.concurrency)
	loop := &jobapi.Client{Service: client, PollInterval: o.pollInterval, Concurrency: o.concurrency, Logger: log}
	err = loop.Work(polling, o.actionType, func(_ context.Context, job jobapi.Job) jobapi.Result {
		return w.handle(running, job)
	})
	if polling.Err() != nil && errors.Is(err, context.Canceled) {
		log.Info("worker stopped")
		return nil
	}
	var se *jobhttp.StatusError
	if errors.As(err, &se) && se.Refused() {
		return fmt.Errorf("the server at %s refused this worker (%d %s: %s); check --token or $SECPIPE_TOKEN, "+
			"and that the token may work %q jobs", client.BaseURL(), se.Status, http.StatusText(se.Status), se.Message,
			o.actionType)
	}
	return err
}

// onSignals stops polling at the first SIGINT or SIGTERM and kills the
// running handlers at the second. The function it returns stops
// listening.
func onSignals(log *slog.Logger, stopPolling, kill func()) func() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if n == 1 {
					log.Info("stopping: no new jobs; running handlers finish (signal again to stop them)", "signal", sig)
					stopPolling()
					continue
				}
				log.Warn("stopping the running handlers", "signal", sig)
				kill()
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// worker runs the handler for the jobs of one source.
type worker struct {
	src     jobSource
	handler string
	invoke  *invoke.Provider
	log     *slog.Logger
	out     *prefixWriter
}

// handle works one acknowledged job: inputs in, the handler, outputs
// out. ctx ends when the worker must stop at once.
func (w *worker) handle(ctx context.Context, job jobapi.Job) jobapi.Result {
	log := w.log.With("job", job.ID, "attempt", job.Attempt)
	tmp, err := os.MkdirTemp("", "secpipe-job-")
	if err != nil {
		return unavailable(log, fmt.Sprintf("the worker cannot make a work directory: %v", err))
	}
	defer os.RemoveAll(tmp)
	req, outDir, err := w.prepare(ctx, job, tmp)
	if err != nil {
		if errors.Is(err, pipeline.ErrInvalid) {
			return failed(log, jobapi.FailureConfigurationError, err.Error())
		}
		return unavailable(log, err.Error())
	}
	log.Info("running the handler", "action", job.Action, "execution", job.ExecutionID)
	res, err := w.invoke.Exec(ctx, req, w.handler, job.ID)
	switch {
	case ctx.Err() != nil:
		return unavailable(log, "the worker was stopped while the handler ran")
	case err != nil:
		return failed(log, jobapi.FailureJobFailed, err.Error())
	}
	return w.report(ctx, log, job, res, outDir)
}

// prepare downloads the job's inputs and makes its output directories
// and the action request the handler runs with.
func (w *worker) prepare(ctx context.Context, job jobapi.Job, tmp string) (*pipeline.ActionRequest, string, error) {
	inputs, err := w.src.DownloadInputs(ctx, job, filepath.Join(tmp, "in"))
	if err != nil {
		return nil, "", err
	}
	outDir := filepath.Join(tmp, "out")
	outputs := make(map[string]string, len(job.OutputArtifacts))
	for name := range job.OutputArtifacts {
		if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
			return nil, "", fmt.Errorf("%w output artifact name %q", pipeline.ErrInvalid, name)
		}
		outputs[name] = filepath.Join(outDir, name)
	}
	for _, dir := range append(mapValues(outputs), filepath.Join(tmp, "work")) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, "", err
		}
	}
	return &pipeline.ActionRequest{
		ExecutionID: job.ExecutionID, Stage: job.Stage, Action: pipeline.Action{Name: job.Action},
		Attempt: job.Attempt, Config: job.Config, Inputs: inputs, Outputs: outputs,
		WorkDir: filepath.Join(tmp, "work"), ContinuationToken: job.ContinuationToken,
		Log: w.out.forJob(job.ID),
	}, outDir, nil
}

// report turns the handler's result into the job's, uploading the
// outputs of a success.
func (w *worker) report(ctx context.Context, log *slog.Logger, job jobapi.Job, res pipeline.ActionResult, outDir string) jobapi.Result {
	sr := jobapi.SuccessResult{Summary: clip(res.Message, jobapi.MaxSummary)}
	switch res.State {
	case pipeline.ActionSucceeded:
		sr.OutputVariables = res.OutputVariables
	case pipeline.ActionInProgress:
		sr.ContinuationToken = res.ContinuationToken
	default:
		return failed(log, jobapi.FailureJobFailed, res.Message)
	}
	if err := sr.Validate(); err != nil {
		return failed(log, jobapi.FailureJobFailed, "the handler's reply: "+err.Error())
	}
	if sr.ContinuationToken != "" {
		log.Info("job in progress", "continuation_token", sr.ContinuationToken, "summary", sr.Summary)
		return jobapi.Result{Success: &sr}
	}
	if err := w.src.UploadOutputs(ctx, job, outDir); err != nil {
		return unavailable(log, err.Error())
	}
	log.Info("job succeeded", "output_variables", len(sr.OutputVariables))
	return jobapi.Result{Success: &sr}
}

func failed(log *slog.Logger, kind, message string) jobapi.Result {
	if message == "" {
		message = "the handler reported a failure"
	}
	log.Warn("job failed", "type", kind, "message", message)
	return jobapi.Result{Failure: &jobapi.FailureResult{Type: kind, Message: clip(message, jobapi.MaxMessage)}}
}

func unavailable(log *slog.Logger, message string) jobapi.Result {
	return failed(log, jobapi.FailureSystemUnavailable, message)
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// prefixWriter writes the handlers' standard error to the worker's, each
// line marked with its job; lines of concurrent jobs do not mix.
type prefixWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// forJob returns a writer that marks the lines written to it (whole
// lines, as the invoke provider writes them) with job id.
func (p *prefixWriter) forJob(id string) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		for line := range strings.SplitAfterSeq(string(b), "\n") {
			if line != "" {
				_, _ = fmt.Fprintf(p.w, "[job %s] %s", id, line)
			}
		}
		return len(b), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
