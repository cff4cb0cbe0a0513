#!/usr/bin/env bash
# Runs secpipe's whole test suite: installs what the tests need, then
# go test with the race detector. The README's test command calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
# test-deps.sh made sure PostgreSQL answers here: the PostgreSQL tests run
# (and fail rather than skip if it stops answering).
export SECPIPE_TEST_POSTGRES="${SECPIPE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
go vet ./...
go test -race -count=1 -timeout 20m ./...
