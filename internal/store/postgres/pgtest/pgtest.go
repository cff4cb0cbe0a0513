// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// The server is the one $SECPIPE_TEST_POSTGRES names (a connection URL to
// an existing database such as postgres, as a user allowed to create
// databases). Unset, PostgreSQL tests skip with a message naming the
// variable; set, the server must answer or the tests fail, so a broken
// setup cannot pass unnoticed. scripts/test.sh (the README's test
// command and .ci/run) sets it to DefaultURL after scripts/test-deps.sh
// made sure PostgreSQL runs there.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvURL names the variable holding the server's URL.
const EnvURL = "SECPIPE_TEST_POSTGRES"

// DefaultURL is the local server scripts/test-deps.sh starts, which
// scripts/test.sh puts in EnvURL.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DSN creates an empty database named secpipe_test_<random> and returns its
// URL; the database is dropped (closing leftover connections) when the test
// and its subtests end. Close your pools in an earlier-registered cleanup or
// leave them to the forced drop.
func DSN(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		tb.Skipf("pgtest: $%s is unset; set it to a PostgreSQL URL (e.g. %s) to run the PostgreSQL tests, "+
			"as scripts/test.sh does", EnvURL, DefaultURL)
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("pgtest: $%s is not a URL: %v", EnvURL, err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("pgtest: open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		unreachable(tb, u, err)
	}
	name := "secpipe_test_" + randomHex(8)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = db.Close()
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// unreachable fails the test, saying how to start the server: $EnvURL
// names one, so the PostgreSQL tests are meant to run.
func unreachable(tb testing.TB, u *url.URL, err error) {
	tb.Helper()
	tb.Fatalf("pgtest: no PostgreSQL at %s (%v), which $%s names; start it with scripts/test-deps.sh "+
		"(pg_ctlcluster) or unset $%s to skip the PostgreSQL tests", u.Host, err, EnvURL, EnvURL)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
