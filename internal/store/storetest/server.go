package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

func testTrigger(t *testing.T, s store.Store) {
	ctx := context.Background()
	x := Execution("triggered", "golden")
	x.Trigger = "webhook:github 1a2b3c4"
	x = mustCreate(t, s, x)
	got, err := s.Execution(ctx, x.ID)
	if err != nil {
		t.Fatalf("Execution = %v", err)
	}
	if got.Trigger != x.Trigger {
		t.Errorf("Execution.Trigger = %q, want %q", got.Trigger, x.Trigger)
	}
	xs, err := s.Executions(ctx, store.ExecutionFilter{Pipeline: "golden"})
	if err != nil || len(xs) != 1 || xs[0].Trigger != x.Trigger {
		t.Errorf("Executions = %+v, %v; want one with Trigger %q", xs, err, x.Trigger)
	}
	mustCreate(t, s, Execution("untriggered", "golden"))
	if got, _ := s.Execution(ctx, "untriggered"); got.Trigger != "" {
		t.Errorf("Execution(untriggered).Trigger = %q, want empty", got.Trigger)
	}
}

func testPipelines(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := store.PipelineRecord{Name: "golden", Repo: "https://git.example.com/app.git", Branch: "main",
		Dir: "ci", PollInterval: 90 * time.Second, WebhookSecret: "whsec-1",
		Filter:  store.PushFilter{Branches: []string{"main", "release/*"}, Paths: []string{"app/**"}},
		Created: at(0), Updated: at(0)}
	other := store.PipelineRecord{Name: "aaa", Repo: "/srv/repo", Created: at(time.Second), Updated: at(time.Second)}
	for _, r := range []store.PipelineRecord{p, other} {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreatePipeline(ctx, r) }); err != nil {
			t.Fatalf("CreatePipeline(%s) = %v", r.Name, err)
		}
	}
	got, err := s.Pipeline(ctx, "golden")
	if err != nil {
		t.Fatalf("Pipeline = %v", err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("Pipeline round trip (-want +got):\n%s", diff)
	}
	if err := s.CreatePipeline(ctx, store.PipelineRecord{Name: "golden", Repo: "x"}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("CreatePipeline(duplicate) = %v, want ErrInvalid", err)
	}

	updated := p
	updated.Repo, updated.Branch, updated.Dir, updated.PollInterval = "/other", "dev", "", 0
	updated.WebhookSecret, updated.LastRevision, updated.Paused = "whsec-2", "abc123", true
	updated.Filter = store.PushFilter{Tags: []string{"v*"}}
	updated.Created, updated.Updated = at(time.Hour), at(time.Minute) // Created must not change
	if err := s.UpdatePipeline(ctx, updated); err != nil {
		t.Fatalf("UpdatePipeline = %v", err)
	}
	updated.Created = p.Created
	if got, _ := s.Pipeline(ctx, "golden"); !cmp.Equal(updated, got) {
		t.Errorf("Pipeline after update (-want +got):\n%s", cmp.Diff(updated, got))
	}

	all, err := s.Pipelines(ctx)
	if err != nil {
		t.Fatalf("Pipelines = %v", err)
	}
	if diff := cmp.Diff([]store.PipelineRecord{other, updated}, all); diff != "" {
		t.Errorf("Pipelines by name (-want +got):\n%s", diff)
	}

	if err := s.DeletePipeline(ctx, "aaa"); err != nil {
		t.Fatalf("DeletePipeline = %v", err)
	}
	notFound := []struct {
		name string
		err  error
	}{
		{"Pipeline(deleted)", func() error { _, err := s.Pipeline(ctx, "aaa"); return err }()},
		{"DeletePipeline(deleted)", s.DeletePipeline(ctx, "aaa")},
		{"UpdatePipeline(unknown)", s.UpdatePipeline(ctx, store.PipelineRecord{Name: "nope"})},
	}
	for _, tt := range notFound {
		if !errors.Is(tt.err, pipeline.ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", tt.name, tt.err)
		}
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	admin := store.Token{ID: "t1", Name: "alice", Hash: "h-alice", Role: store.RoleAdmin, Created: at(0)}
	worker := store.Token{ID: "t2", Name: "builder", Hash: "h-builder", Role: store.RoleWorker,
		ActionTypes: []string{"Build/Custom/1", "Test/Custom/1"}, Created: at(time.Second),
		Expires: at(24 * time.Hour)}
	for _, tok := range []store.Token{admin, worker} {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateToken(ctx, tok) }); err != nil {
			t.Fatalf("CreateToken(%s) = %v", tok.Name, err)
		}
	}
	got, err := s.TokenByHash(ctx, "h-builder")
	if err != nil {
		t.Fatalf("TokenByHash = %v", err)
	}
	if diff := cmp.Diff(worker, got); diff != "" {
		t.Errorf("Token round trip (-want +got):\n%s", diff)
	}

	duplicates := []struct {
		name string
		tok  store.Token
	}{
		{"id", store.Token{ID: "t1", Name: "carol", Hash: "h-carol", Role: store.RoleViewer}},
		{"name", store.Token{ID: "t3", Name: "alice", Hash: "h-carol", Role: store.RoleViewer}},
		{"hash", store.Token{ID: "t3", Name: "carol", Hash: "h-alice", Role: store.RoleViewer}},
	}
	for _, tt := range duplicates {
		if err := s.CreateToken(ctx, tt.tok); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("CreateToken(duplicate %s) = %v, want ErrInvalid", tt.name, err)
		}
	}

	admin.LastUsed, admin.Expires, admin.Revoked = at(time.Minute), at(time.Hour), at(2*time.Minute)
	changed := admin
	changed.Name, changed.Hash, changed.Role = "mallory", "h-mallory", store.RoleViewer // not updatable
	if err := s.UpdateToken(ctx, changed); err != nil {
		t.Fatalf("UpdateToken = %v", err)
	}
	if got, _ := s.TokenByHash(ctx, "h-alice"); !cmp.Equal(admin, got) {
		t.Errorf("Token after update (-want +got):\n%s", cmp.Diff(admin, got))
	}

	all, err := s.Tokens(ctx)
	if err != nil {
		t.Fatalf("Tokens = %v", err)
	}
	if diff := cmp.Diff([]store.Token{admin, worker}, all); diff != "" {
		t.Errorf("Tokens oldest first (-want +got):\n%s", diff)
	}
	if _, err := s.TokenByHash(ctx, "h-unknown"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("TokenByHash(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.UpdateToken(ctx, store.Token{ID: "nope"}); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("UpdateToken(unknown) = %v, want ErrNotFound", err)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	var entries []store.AuditEntry
	for i := range 5 {
		target := "x1"
		if i%2 == 1 {
			target = "golden"
		}
		e := store.AuditEntry{At: at(time.Duration(i) * time.Second), Actor: "alice",
			Action: fmt.Sprintf("action.%d", i), Target: target, Detail: fmt.Sprintf("detail %d", i)}
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.AddAudit(ctx, &e) }); err != nil {
			t.Fatalf("AddAudit = %v", err)
		}
		if len(entries) > 0 && e.Seq <= entries[len(entries)-1].Seq {
			t.Errorf("AddAudit Seq = %d, not after %d", e.Seq, entries[len(entries)-1].Seq)
		}
		entries = append(entries, e)
	}
	pick := func(idx ...int) []store.AuditEntry {
		var out []store.AuditEntry
		for _, i := range idx {
			out = append(out, entries[i])
		}
		return out
	}
	tests := []struct {
		name   string
		filter store.AuditFilter
		want   []store.AuditEntry
	}{
		{name: "all newest first", want: pick(4, 3, 2, 1, 0)},
		{name: "first page", filter: store.AuditFilter{Limit: 2}, want: pick(4, 3)},
		{name: "next page", filter: store.AuditFilter{BeforeSeq: entries[3].Seq, Limit: 2}, want: pick(2, 1)},
		{name: "last page", filter: store.AuditFilter{BeforeSeq: entries[1].Seq, Limit: 2}, want: pick(0)},
		{name: "target", filter: store.AuditFilter{Target: "x1"}, want: pick(4, 2, 0)},
		{name: "target paged", filter: store.AuditFilter{Target: "golden", BeforeSeq: entries[3].Seq},
			want: pick(1)},
		{name: "none", filter: store.AuditFilter{Target: "nothing"}, want: nil},
	}
	for _, tt := range tests {
		got, err := s.Audit(ctx, tt.filter)
		if err != nil {
			t.Fatalf("%s: Audit = %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Audit(%+v) (-want +got):\n%s", tt.name, tt.filter, diff)
		}
	}
}
