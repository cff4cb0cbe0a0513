package engine

import (
	"sync"
	"testing"
	"time"
)

// TestSequencerOrder: holders act in the order they took their turns,
// whatever order they finish their other work in, and a turn given up
// without acting (a failed commit) lets the later ones go.
func TestSequencerOrder(t *testing.T) {
	var q sequencer
	const n = 50
	turns := make([]uint64, n)
	for i := range n {
		turns[i] = q.take()
	}
	var (
		mu  sync.Mutex
		got []uint64
		wg  sync.WaitGroup
	)
	for i := n - 1; i >= 0; i-- { // latest first
		wg.Go(func() {
			if i%7 == 3 {
				q.done(turns[i]) // gave up: no action
				return
			}
			q.wait(turns[i])
			mu.Lock()
			got = append(got, turns[i])
			mu.Unlock()
			q.done(turns[i])
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sequencer stuck")
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("turns acted out of order: %v", got)
		}
	}
	want := 0
	for i := range n {
		if i%7 != 3 {
			want++
		}
	}
	if len(got) != want {
		t.Errorf("%d turns acted, want %d", len(got), want)
	}
}
