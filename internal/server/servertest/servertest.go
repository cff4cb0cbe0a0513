// Package servertest builds what a test of the server or its dashboard
// runs on: a SQLite state database, its store, a River dispatcher tuned to
// start jobs quickly, an artifact store and an image store, all under a
// temporary directory. Only tests import it.
package servertest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// State is the pieces an engine or a server needs.
type State struct {
	// Dir is the data directory (t.TempDir()); state.db, artifacts/ and
	// images/ are in it.
	Dir        string
	DB         *sql.DB
	Store      *sqlite.Store
	Dispatcher *queue.River
	Artifacts  *artifact.Store
	Images     *image.Store
}

// New returns a fresh State; the database closes when the test ends.
func New(t testing.TB) State {
	t.Helper()
	dir := t.TempDir()
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlite.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	// Polling every 5 ms starts jobs soon after they commit; rescue is
	// pushed out so that a slow, loaded test machine never runs a job twice.
	disp, err := queue.NewRiver(db, queue.RiverConfig{Workers: 8, RescueStuckJobsAfter: time.Hour,
		FetchPollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	images, err := image.OpenStore(filepath.Join(dir, "images"))
	if err != nil {
		t.Fatal(err)
	}
	return State{Dir: dir, DB: db, Store: st, Dispatcher: disp, Artifacts: arts, Images: images}
}
