package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/secpipe/secpipe/internal/queue"
)

// A state change and the job it asks for commit together.
func ExampleRiver() {
	dir, err := os.MkdirTemp("", "queue-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	d, err := queue.NewRiver(db, queue.RiverConfig{})
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan string)
	d.Handle("greet", func(_ context.Context, args json.RawMessage) error {
		var name string
		if err := json.Unmarshal(args, &name); err != nil {
			return err
		}
		done <- "hello, " + name
		return nil
	})
	ctx := context.Background()
	if err := d.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer d.Stop(ctx)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	// ... update the caller's own tables through tx ...
	if err := d.EnqueueTx(ctx, tx, queue.Job{Kind: "greet", Args: json.RawMessage(`"world"`)}); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-done)
	// Output: hello, world
}
