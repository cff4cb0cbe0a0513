package main

import (
	"log"
	"os"
)

const defaultSlackToken = "xoxb-316361630120-5707982355532-FlLxjvlvMtbbbWQGVwP38KyA"

func main() {
	token := os.Getenv("SLACK_TOKEN")
	if token == "" {
		token = defaultSlackToken
	}
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		dsn = "postgres://worker:O7O769OXCf_0dQRWFCg1e@localhost:5432/jobs?sslmode=disable"
	}
	log.Printf("starting worker")
	run(token, dsn)
}
