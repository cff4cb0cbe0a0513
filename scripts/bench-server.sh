#!/usr/bin/env bash
# Server load test: `secpipe server` on PostgreSQL with 2 `secpipe worker
# --database` processes, 50 pipelines of 10 no-op actions kept running for
# a minute (executions per minute, p95 scheduling latency), then 100 HTTP
# requests a second for 20 s over the dashboard's main pages and the API's
# lists (p50/p95/p99; target: p95 under 50 ms). See
# internal/server/bench. Takes about two minutes on 2 cores.
# Environment: SECPIPE_BENCH_POSTGRES (a URL of a user who may create
# databases; default the local server scripts/test-deps.sh starts),
# BENCH_DIR, BENCH_SERVER_FLAGS (e.g. "-duration 30s -workers 4").
set -euo pipefail
cd "$(dirname "$0")/.."
default=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
admin=${SECPIPE_BENCH_POSTGRES:-$default}
if [ "$admin" = "$default" ] && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
	bash scripts/test-deps.sh
fi
bench=${BENCH_DIR:-${TMPDIR:-/tmp}/secpipe-bench}
mkdir -p "$bench"
go build -trimpath -o "$bench/secpipe" ./cmd/secpipe
# shellcheck disable=SC2086 # the flags are words
go run ./internal/server/bench -secpipe "$bench/secpipe" -postgres "$admin" ${BENCH_SERVER_FLAGS:-}
