package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river/rivertype"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// newTestRiver returns a River on a fresh database.
func newTestRiver(t *testing.T, cfg RiverConfig) (*River, *sql.DB) {
	t.Helper()
	db, _ := testDB(t)
	r, err := NewRiver(db, cfg)
	if err != nil {
		t.Fatalf("NewRiver() = %v", err)
	}
	return r, db
}

// jobStates returns the River state of every stored job, oldest first.
func jobStates(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT state FROM river_job ORDER BY id")
	if err != nil {
		t.Fatalf("query river_job: %v", err)
	}
	defer rows.Close()
	var states []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		states = append(states, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return states
}

// waitStates polls until the stored job states equal want.
func waitStates(t *testing.T, db *sql.DB, want []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := jobStates(t, db)
		if cmp.Equal(want, got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job states = %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRiverRollbackNeverRuns(t *testing.T) {
	t.Parallel()
	r, db := newTestRiver(t, testRiverConfig(t))
	rec := newRecorder()
	r.Handle("k", rec.handler("k"))
	startDispatcher(t, r)
	enqueue(t, db, r, Job{Kind: "k", Args: json.RawMessage(`"rolled back"`)}, true)
	enqueue(t, db, r, Job{Kind: "k", Args: json.RawMessage(`"committed"`)}, false)
	rec.wait(t, 1)
	time.Sleep(200 * time.Millisecond)
	if diff := cmp.Diff([]string{`k:"committed"`}, rec.sorted()); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
	waitStates(t, db, []string{"completed"})
}

func TestRiverUnknownKindDropped(t *testing.T) {
	t.Parallel()
	r, db := newTestRiver(t, testRiverConfig(t))
	startDispatcher(t, r)
	enqueue(t, db, r, Job{Kind: "nobody"}, false)
	waitStates(t, db, []string{"cancelled"})
}

func TestRiverRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failures   int32 // attempts that fail before one succeeds
		wantCalls  int32
		wantStates []string
	}{
		{name: "succeeds on retry", failures: 1, wantCalls: 2, wantStates: []string{"completed"}},
		{name: "dropped after max attempts", failures: 99, wantCalls: 2, wantStates: []string{"discarded"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testRiverConfig(t)
			cfg.MaxAttempts = 2
			r, db := newTestRiver(t, cfg)
			var calls atomic.Int32
			r.Handle("flaky", func(context.Context, json.RawMessage) error {
				if calls.Add(1) <= tc.failures {
					return errors.New("boom")
				}
				return nil
			})
			startDispatcher(t, r)
			enqueue(t, db, r, Job{Kind: "flaky"}, false)
			waitStates(t, db, tc.wantStates)
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("handler calls = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestNewRiverMigratesOnce(t *testing.T) {
	t.Parallel()
	db, _ := testDB(t)
	for i := range 2 {
		if _, err := NewRiver(db, RiverConfig{}); err != nil {
			t.Fatalf("NewRiver() #%d = %v", i+1, err)
		}
	}
}

// TestNewRiverConcurrentOpen opens one new database from several pools at
// once, as `secpipe run` and `secpipe status` started together do: each
// must come up, with River's migrations applied once.
func TestNewRiverConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db, err := OpenSQLite(path)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			_, errs[i] = NewRiver(db, RiverConfig{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open #%d: %v", i+1, err)
		}
	}
}

func TestRiverConfigInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  RiverConfig
	}{
		{name: "timeout beyond rescue", cfg: RiverConfig{JobTimeout: 2 * time.Minute}},
		{name: "negative workers", cfg: RiverConfig{Workers: -1}},
		{name: "negative rescue", cfg: RiverConfig{RescueStuckJobsAfter: -time.Second}},
		{name: "zero kind timeout", cfg: RiverConfig{KindTimeouts: map[string]time.Duration{"k": 0}}},
	}
	for _, tc := range tests {
		if _, err := tc.cfg.withDefaults(); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("%s: withDefaults() = %v, want %v", tc.name, err, pipeline.ErrInvalid)
		}
	}
}

func TestRiverKindTimeout(t *testing.T) {
	t.Parallel()
	cfg := testRiverConfig(t)
	cfg.MaxAttempts = 1
	cfg.KindTimeouts = map[string]time.Duration{"short": 50 * time.Millisecond}
	r, db := newTestRiver(t, cfg)
	got := make(chan error, 1)
	r.Handle("short", func(ctx context.Context, _ json.RawMessage) error {
		<-ctx.Done()
		got <- ctx.Err()
		return ctx.Err()
	})
	startDispatcher(t, r)
	enqueue(t, db, r, Job{Kind: "short"}, false)
	select {
	case err := <-got:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("handler context error = %v, want %v", err, context.DeadlineExceeded)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler context not cancelled by its kind timeout")
	}
	waitStates(t, db, []string{"discarded"})
}

func TestAvailableSoon(t *testing.T) {
	t.Parallel()
	now := time.Now()
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	tests := []struct {
		name        string
		state       rivertype.JobState
		scheduledAt *time.Time
		want        rivertype.JobState
	}{
		{name: "due now", state: rivertype.JobStateAvailable, scheduledAt: nil, want: rivertype.JobStateAvailable},
		{name: "in a second", state: rivertype.JobStateScheduled, scheduledAt: at(time.Second), want: rivertype.JobStateAvailable},
		{name: "past", state: rivertype.JobStateScheduled, scheduledAt: at(-time.Minute), want: rivertype.JobStateAvailable},
		{name: "in a minute", state: rivertype.JobStateScheduled, scheduledAt: at(time.Minute), want: rivertype.JobStateScheduled},
		{name: "pending", state: rivertype.JobStatePending, scheduledAt: at(time.Second), want: rivertype.JobStatePending},
	}
	for _, tc := range tests {
		p := &rivertype.JobInsertParams{State: tc.state, ScheduledAt: tc.scheduledAt}
		inner := func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }
		if _, err := availableSoon(context.Background(), []*rivertype.JobInsertParams{p}, inner); err != nil {
			t.Fatalf("%s: availableSoon() = %v", tc.name, err)
		}
		if p.State != tc.want {
			t.Errorf("%s: state = %s, want %s", tc.name, p.State, tc.want)
		}
	}
}

// TestRiverArgsPayload checks that handlers get the args byte for byte, and
// that jobs stored in the earlier format (nested JSON) still decode.
func TestRiverArgsPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stored string
		want   string
	}{
		{name: "text", stored: `{"kind":"k","text":"{\"b\": 1,  \"a\":2}"}`, want: `{"b": 1,  "a":2}`},
		{name: "earlier nested payload", stored: `{"kind":"k","payload":{"a":1}}`, want: `{"a":1}`},
		{name: "null", stored: `{"kind":"k","text":"null"}`, want: `null`},
	}
	for _, tc := range tests {
		var a riverArgs
		if err := json.Unmarshal([]byte(tc.stored), &a); err != nil {
			t.Fatalf("%s: unmarshal: %v", tc.name, err)
		}
		if got := string(a.payload()); got != tc.want {
			t.Errorf("%s: payload() = %s, want %s", tc.name, got, tc.want)
		}
	}
}
